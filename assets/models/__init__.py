"""The model layer: backends, the call log that doubles as a cache, prompt templates, generator
identity, output screens and the rubric judge. Synthesis methods, filters and decontamination
all call models through it; it depends on nothing in those packages."""
