"""Train the digits CNN shipped in pykernels/models/weights/ (needs torch and scikit-learn).

    python examples/digits/train_digits_cnn.py

The architecture is pykernels.models.digits_cnn's: Conv2D(16, 3, relu, same) →
MaxPooling2D(2) → Conv2D(32, 3, relu, same) → MaxPooling2D(2) → Flatten → Dense(64,
relu) → Dense(10, softmax) on scikit-learn's 8x8 digits (channels last). It trains the
float model, then prunes its kernels to 80% sparsity by global magnitude, gradually
(TF-MOT's cubic PolynomialDecay from 0 to 80% over the fine-tuning epochs, the masks held
fixed between steps), and writes both weight sets in pykernels' layouts (Conv2D kernels
HWIO, Dense kernels (in, units)) in get_weights order.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from pykernels.models import digits_cnn

OUT = Path(digits_cnn.__file__).parent / "weights"


class TorchDigitsCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(2 * 2 * 32, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):  # x: (N, 8, 8, 1), channels last like the pykernels model
        x = x.permute(0, 3, 1, 2)
        x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = x.permute(0, 2, 3, 1).flatten(1)  # Keras' channels-last flatten order
        return self.fc2(torch.relu(self.fc1(x)))  # logits; the pykernels model ends in softmax

    def kernels(self):
        return [self.conv1.weight, self.conv2.weight, self.fc1.weight, self.fc2.weight]


FINAL_SPARSITY = 0.8
RAMP_EPOCHS = 20
PRUNE_EPOCHS = 40


def global_magnitude_masks(kernels, sparsity: float) -> list:
    """Keep the largest (1 - sparsity) of all kernel weights by magnitude, across layers."""
    magnitudes = torch.cat([k.detach().abs().flatten() for k in kernels])
    drop = int(sparsity * magnitudes.numel())
    if drop == 0:
        return [torch.ones_like(k) for k in kernels]
    threshold = magnitudes.kthvalue(drop).values
    return [(k.detach().abs() > threshold).float() for k in kernels]


def train(model, x, y, epochs, masks=None, lr=3e-3):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        for batch in torch.randperm(len(x), generator=generator).split(64):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
            optimizer.step()
            if masks is not None:
                with torch.no_grad():
                    for weight, mask in zip(model.kernels(), masks):
                        weight.mul_(mask)


def accuracy(model, x, y) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def pykernels_weights(model) -> list[np.ndarray]:
    """get_weights order of digits_cnn.build(): conv kernels HWIO, dense kernels (in, units)."""
    t = {name: p.detach().numpy() for name, p in model.named_parameters()}
    return [t["conv1.weight"].transpose(2, 3, 1, 0), t["conv1.bias"], t["conv2.weight"].transpose(2, 3, 1, 0),
            t["conv2.bias"], t["fc1.weight"].T, t["fc1.bias"], t["fc2.weight"].T, t["fc2.bias"]]


def save(path: Path, weights) -> None:
    np.savez(path, **{f"w{i}": np.ascontiguousarray(w, np.float32) for i, w in enumerate(weights)})
    print(f"wrote {path}")


def main() -> None:
    torch.manual_seed(0)
    (x_train, y_train), (x_test, y_test) = digits_cnn.load_data()
    x_train, x_test = torch.from_numpy(x_train), torch.from_numpy(x_test)
    y_train, y_test = torch.from_numpy(y_train).long(), torch.from_numpy(y_test).long()
    model = TorchDigitsCNN()
    train(model, x_train, y_train, epochs=40)
    print(f"float accuracy {accuracy(model, x_test, y_test):.4f}")
    save(OUT / "digits_cnn.npz", pykernels_weights(model))

    masks = None
    for epoch in range(PRUNE_EPOCHS):  # sparsity grows as 0.8 (1 - (1 - t)^3), then stays at 0.8
        sparsity = FINAL_SPARSITY * (1 - (1 - min(1.0, (epoch + 1) / RAMP_EPOCHS)) ** 3)
        masks = global_magnitude_masks(model.kernels(), sparsity)
        with torch.no_grad():
            for weight, mask in zip(model.kernels(), masks):
                weight.mul_(mask)
        train(model, x_train, y_train, epochs=1, masks=masks, lr=1e-3)
    kept = sum(int(m.sum()) for m in masks) / sum(m.numel() for m in masks)
    print(f"pruned to {1 - kept:.1%} sparsity: accuracy {accuracy(model, x_test, y_test):.4f}")
    save(OUT / "digits_cnn_pruned80.npz", pykernels_weights(model))


if __name__ == "__main__":
    main()
