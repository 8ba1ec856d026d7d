"""The `nano` base family: a synthetic world, its corpora, a tokenizer and pre/mid/post Llamas."""
