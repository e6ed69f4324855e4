"""The ``torchless`` command line: train, evaluate and predict with small CNNs on MNIST."""
