"""Bad, broken and hostile input (issue 4): every case asserts its exact outcome through the command line, and
that the case folder and the previous build's outputs come through untouched."""
