"""SFT trains on assistant tokens only; CPT on every token."""

from crucible_trainer.data.mixer import IGNORE_INDEX, DocumentSource, MixedStream
from crucible_trainer.model import load_tokenizer
from crucible_trainer.stages import cpt, sft

CONVERSATION = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Which lamp does Ada like?"},
    {"role": "assistant", "content": "Ada likes the red lamp."},
    {"role": "user", "content": "And Bo?"},
    {"role": "assistant", "content": "Bo likes the blue lamp."},
]


def test_sft_mask_covers_exactly_the_assistant_turns(tiny_llama):
    tok = load_tokenizer(tiny_llama[0])
    enc = sft.encoder(tok, "chat")(CONVERSATION)
    trained = tok.decode([i for i, keep in zip(enc.ids, enc.train_mask) if keep])
    ignored = tok.decode([i for i, keep in zip(enc.ids, enc.train_mask) if not keep])
    # the nano tokenizer puts a space before the text that follows a special token
    assert trained == " Ada likes the red lamp.<|end|> Bo likes the blue lamp.<|end|>"
    assert "Which lamp" in ignored and "Be brief." in ignored and "likes" not in ignored
    assert ignored.count("<|assistant|>") == 2, "role markers are context, not targets"


def test_cpt_trains_on_every_chat_token(tiny_llama):
    tok = load_tokenizer(tiny_llama[0])
    enc = cpt.encoder(tok, "chat")(CONVERSATION)
    assert all(enc.train_mask)


def test_packed_sft_labels_are_assistant_tokens_only(tiny_llama):
    tok = load_tokenizer(tiny_llama[0])
    encode = sft.encoder(tok, "chat")
    source = DocumentSource("chat", 1, lambda i: encode(CONVERSATION), 0, 0)
    seq = MixedStream([source], [1.0], 256).next_sequence()
    targets = [label for label in seq.labels if label != IGNORE_INDEX]
    expected = tok("Ada likes the red lamp.<|end|>", add_special_tokens=False)["input_ids"]
    assert targets[: len(expected)] == expected
    assert tok.decode(targets).startswith(" Ada likes the red lamp.<|end|> Bo likes")
