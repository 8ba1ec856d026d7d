"""A small byte-level BPE tokenizer trained on the nano corpora, with a chat template.

Byte-level BPE decodes exactly (prices, numbers and punctuation come back as written), apart from
the one space it puts before each text and after each special token (decoded replies are
stripped); with the demo's 2k vocabulary nearly every word of the synthetic world, names
included, is a single token.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

SPECIAL_TOKENS = ["<pad>", "<bos>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]

# Each turn is `<|role|>` + content + `<|end|>`; rendering a prefix of the conversation yields a
# prefix of the full rendering, which is what assistant-token masking relies on.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)


# Part of the nano build's recipe digest: a change here rebuilds cached families.
TOKENIZER_FORMAT = "byte-level-bpe/prefix-space"


def train_tokenizer(texts: Iterable[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """Train byte-level BPE on `texts`; deterministic for a given text order."""
    tok = Tokenizer(models.BPE())
    # A space before every text and after every special token: a word that opens a reply
    # ("Brenbro is in Astoria.") is then the same token as that word inside a sentence
    # (" Brenbro"), so a small model can copy a name from the question into its answer. Without
    # it the opening word is a different, rarer token, split into pieces, and names came back
    # garbled (nano demo: 15% held-out general accuracy with the prefix space off, see #4).
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=True)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<bos>",
        eos_token="<|end|>",
        pad_token="<pad>",
        extra_special_tokens={
            "system": "<|system|>",
            "user": "<|user|>",
            "assistant": "<|assistant|>",
        },
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def save_tokenizer(tokenizer: PreTrainedTokenizerFast, directory: Path) -> None:
    """Save with the chat template inside tokenizer_config.json (not a separate .jinja file)."""
    tokenizer.save_pretrained(directory, save_jinja_files=False)
