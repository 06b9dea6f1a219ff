"""Networks: activations, initializers, and stacks of many small MLPs trained as one (torch). Imports only
lib.framework beside itself."""
