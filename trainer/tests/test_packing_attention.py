"""Packed documents do not attend to each other: logits match those of each document alone."""

import pytest
import torch
from conftest import build_tiny_model

from crucible_trainer import protocol
from crucible_trainer.model import load_model


@pytest.mark.parametrize("arch", protocol.model_types())
def test_document_logits_identical_packed_or_alone(arch, tmp_path):
    """Every model type the protocol lists as trainable honours packing (the list's reason)."""
    build_tiny_model(tmp_path / arch, arch)
    model = load_model(tmp_path / arch).eval()
    g = torch.Generator().manual_seed(0)
    lengths = [11, 7, 14]
    docs = [torch.randint(5, model.config.vocab_size, (n,), generator=g) for n in lengths]
    packed = torch.cat(docs).unsqueeze(0)
    positions = torch.cat([torch.arange(n) for n in lengths]).unsqueeze(0)
    with torch.no_grad():
        packed_logits = model(input_ids=packed, position_ids=positions, use_cache=False).logits[0]
        start = 0
        for doc in docs:
            alone = model(input_ids=doc.unsqueeze(0), use_cache=False).logits[0]
            torch.testing.assert_close(
                packed_logits[start : start + len(doc)], alone, rtol=1e-5, atol=1e-5
            )
            start += len(doc)


def test_without_position_resets_documents_would_leak(tiny_llama):
    """Guards the test above: the same packing with running positions changes later documents."""
    model = load_model(tiny_llama[0]).eval()
    g = torch.Generator().manual_seed(1)
    a, b = (torch.randint(5, model.config.vocab_size, (n,), generator=g) for n in (9, 6))
    packed = torch.cat([a, b]).unsqueeze(0)
    with torch.no_grad():
        leaky = model(input_ids=packed, use_cache=False).logits[0, len(a) :]
        alone = model(input_ids=b.unsqueeze(0), use_cache=False).logits[0]
    assert not torch.allclose(leaky, alone, atol=1e-4)
