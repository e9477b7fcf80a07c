"""Ways to run the model from scripts: the CLI, scenario files, sweeps, the benchmark."""
