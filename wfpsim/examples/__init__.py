"""Ready-made drivers and callouts: :mod:`wfpsim.examples.starter_kit` reproduces the seed
tutorial's WFPStarterKit driver in Python."""
