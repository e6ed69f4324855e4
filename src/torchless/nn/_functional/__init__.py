"""Implementation modules behind ``torchless.nn.functional``, one concept each."""
