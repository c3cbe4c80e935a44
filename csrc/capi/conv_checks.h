// The convolution descriptor check shared by the dense and the sparse conv C ABI.
#pragma once

#include <string>

#include "include/pykernels.h"

namespace pk {

// "" when the descriptor is valid (sizes, kernel, stride, dilation, groups, the window fits), else why not.
std::string conv_desc_error(const pk_conv2d_desc& d);

}  // namespace pk
