"""The papers' experiments: Lu et al.'s dying-ReLU protocol, the Lab3 MLP, the Week10 notebook's networks, He et al.'s
deep training, Glorot & Bengio's backprop, SELU, PyTorch's default init; their data, theory and the engine's bench.
Imports any lower package (lib.framework, lib.nets, lib.engine)."""
