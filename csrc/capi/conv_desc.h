// The conv2d descriptor check shared by the float, int8 and sparse convolution C ABIs.
#pragma once

#include <string>

#include "include/pykernels.h"

namespace pk {

// "" when the descriptor is valid (sizes, kernel, strides, dilations, groups, window fits), else why not.
std::string conv_desc_error(const pk_conv2d_desc& d);

}  // namespace pk
