"""The computations behind the claims' rules: each function gives one rule's parts (its false-failure chance at the
design margin, its false-support chance at the boundary) and the nuisance values it used. A claim's module names its
rule's function beside the rule's words, design and stated figures (lib.framework.rules.Rule)."""
