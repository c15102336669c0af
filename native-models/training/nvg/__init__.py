"""NVG training pipeline: data, tokenizer, generators, export, reference sampler, evaluation."""
