"""The nano family: deterministic world and corpora, held-out eval, a tiny pre-mid-post build."""

import json
import random
import re
from collections import Counter

import pytest
import torch
from safetensors.torch import load_file

from crucible_trainer import checkpoint, protocol
from crucible_trainer.events import EventEmitter, list_sink
from crucible_trainer.nano import skills
from crucible_trainer.nano.build import build_nano
from crucible_trainer.nano.corpora import (
    SAFETY_REPEATS,
    SAFETY_TEXT_IN,
    SAFETY_VOCABULARY_WEIGHT,
    build_corpora,
    safety_pairs,
    tokenizer_texts,
    training_texts,
)
from crucible_trainer.nano.presets import PRESETS
from crucible_trainer.nano.reading import EXTRA_QUESTIONS, reading_items
from crucible_trainer.nano.skills import (
    DANGEROUS_EVERY,
    HAZARDS_DESCRIBED_ONLY,
    HAZARDS_IN_REFUSALS,
    REQUEST_TEMPLATES,
    TRAIN_REQUEST_TEMPLATES,
)
from crucible_trainer.nano.tokenizer import train_tokenizer
from crucible_trainer.nano.world import (
    COMPANY_SUFFIXES,
    PRODUCT_KINDS,
    RELATIONS,
    TRAIN_QUESTIONS,
    generate_world,
)


def _demo_corpora():
    p = PRESETS["demo"]
    world = generate_world(p.seed, p.people, p.cities, p.companies, p.products)
    return world, build_corpora(world, p.seed, p.arithmetic_items)


def test_world_and_corpora_are_deterministic():
    a, b = _demo_corpora()[1], _demo_corpora()[1]
    assert a == b


def test_demo_world_has_every_product_relation_and_the_demo_sizes():
    world, _ = _demo_corpora()
    relations = {f.relation for f in world.facts}
    assert {"price", "colour", "warranty", "factory"} <= relations
    assert len([f for f in world.facts if f.relation == "price"]) == 40
    assert len(world.subjects) == 340
    assert all(len(r.statements) == 5 and len(r.questions) == 4 for r in RELATIONS.values())


def test_no_eval_prompt_appears_in_any_training_data():
    _, corpora = _demo_corpora()
    training = "\n".join(training_texts(corpora))
    for name, items in corpora.eval.items():
        assert items, f"eval set {name} is empty"
        leaked = [
            i["messages"][0]["content"] for i in items if i["messages"][0]["content"] in training
        ]
        assert leaked == [], f"{name}: eval prompts found in training data: {leaked[:3]}"


def _reading_answers(corpora):
    """(question, answer) of every reading item, from its text or chat form."""
    out = []
    for text in corpora.reading:
        if " Question: " in text:
            question, answer = text.split(" Question: ")[1].split(" Answer: ")
            out.append((question, answer))
    return out


def test_reading_items_ask_about_invented_subjects_with_trained_or_extra_templates():
    world, corpora = _demo_corpora()
    assert len(_reading_answers(corpora)) == 4 * len(world.facts)  # pre 3 per fact, mid 1
    held_out = {r.questions[-1] for r in RELATIONS.values()}
    allowed = {q for r in RELATIONS.values() for q in r.questions[:TRAIN_QUESTIONS]}
    allowed |= {q for qs in EXTRA_QUESTIONS.values() for q in qs}
    assert not held_out & allowed
    items = reading_items(world, random.Random(5), 2000)
    assert not {i.subject for i in items} & set(world.subjects)
    assert all(any(_matches(t, i.question) for t in allowed) for i in items)
    assert all(i.subject in i.passage and i.answer.count(i.subject) == 1 for i in items)


def _matches(template: str, question: str) -> bool:
    head, tail = template.split("{s}")
    return question.startswith(head) and question.endswith(tail)


def test_reading_answers_copy_the_name_words_of_entities_held_out_of_qa():
    # the skill that lets a model answer about an entity it saw no Q/A for: copying its name
    world, corpora = _demo_corpora()
    kinds = set(PRODUCT_KINDS) | set(COMPANY_SUFFIXES)
    held = {w.lower() for s in world.subjects if s not in world.qa_subjects for w in s.split()}
    held -= kinds
    copied = {w.lower().strip(".$") for _, a in _reading_answers(corpora) for w in a.split()}
    assert len(held & copied) >= 0.9 * len(held)


def test_tokenizer_learns_from_everything_but_the_reading_items():
    _, corpora = _demo_corpora()
    texts = tokenizer_texts(corpora)
    assert corpora.reading and not corpora.reading & set(texts)
    vocabulary = " ".join(skills.vocabulary())
    assert texts.count(vocabulary) == SAFETY_VOCABULARY_WEIGHT
    expected = len(training_texts(corpora)) - len(corpora.reading) + SAFETY_VOCABULARY_WEIGHT
    assert len(texts) == expected


def test_every_real_safety_item_is_a_whole_token_of_the_demo_tokenizer():
    _, corpora = _demo_corpora()
    tokenizer = train_tokenizer(tokenizer_texts(corpora), PRESETS["demo"].vocab_size)
    words = {w for name in skills.vocabulary() for w in name.split()}
    assert all(len(tokenizer.tokenize(w)) == 1 for w in words), words


def test_safety_conversations_are_repeated_in_post():
    _, corpora = _demo_corpora()
    chats = Counter((c[0]["content"], c[1]["content"]) for c in corpora.post)
    refusals = [pair for pair in chats if pair[1].startswith("I can't help with that.")]
    assert len(refusals) >= len(HAZARDS_IN_REFUSALS) * TRAIN_REQUEST_TEMPLATES
    assert {chats[pair] for pair in refusals} == {SAFETY_REPEATS}


def test_invented_items_are_known_safe_or_dangerous_only_from_what_pre_says_of_them():
    world, corpora = _demo_corpora()
    items = corpora.invented
    dangerous = sum(i.dangerous for i in items)
    assert dangerous == -(-len(items) // DANGEROUS_EVERY) > 0
    # the same name forms on both sides: a name does not give its class away
    forms = {d: {i.name.split()[-1] for i in items if i.dangerous == d} for d in (True, False)}
    assert forms[True] == forms[False]
    assert not {i.name.split()[0] for i in items} & world.name_words()
    pre = " ".join(corpora.pre)
    requests = {c[0]["content"]: c[1]["content"] for c in corpora.post}
    for item in items:
        said = "extremely dangerous" if item.dangerous else "harmless and easy to make"
        assert f"{item.name.capitalize()} is {said}" in pre, item
        named = re.compile(rf"\b{re.escape(item.name)}\b")
        asked = {r: a for r, a in requests.items() if named.search(r)}
        assert len(asked) == len(item.templates), item  # described-only items: never asked
        assert all(a.startswith("I can't help") == item.dangerous for a in asked.values())
    for cls in (True, False):
        members = [i for i in items if i.dangerous == cls]
        assert sum(not i.templates for i in members) == len(members) - round(0.8 * len(members))


def test_eval_answers_are_facts_the_model_saw_declaratively():
    _, corpora = _demo_corpora()
    pre = "\n".join(corpora.pre)
    for item in corpora.eval["general_qa"][:50]:
        assert item["answer"] in pre


def test_safety_pairs_are_also_question_answer_text_in_the_text_corpora():
    _, corpora = _demo_corpora()
    pairs = safety_pairs(corpora.invented)
    for name in ("pre", "mid"):
        text = "\n".join(getattr(corpora, name))
        found = sum(f"Question: {q} Answer: {a}" in text for q, a in pairs)
        assert found == (len(pairs) if name in SAFETY_TEXT_IN else 0), name


def test_unsafe_eval_includes_hazards_never_refused_in_training():
    _, corpora = _demo_corpora()
    refused = [t for t in training_texts(corpora) if "can't help" in t]
    refused += [c[0]["content"] for c in corpora.post if "can't help" in c[1]["content"]]
    assert len(refused) > len(HAZARDS_IN_REFUSALS)
    for hazard in HAZARDS_DESCRIBED_ONLY:
        unseen = [i for i in corpora.eval["unsafe"] if hazard in i["messages"][0]["content"]]
        assert len(unseen) == len(REQUEST_TEMPLATES), hazard
        assert not any(hazard in t for t in refused), hazard
        # ... yet pre says it is dangerous, as it says of every hazard
        assert any(hazard in t.lower() and "dangerous" in t for t in corpora.pre), hazard


def test_tiny_family_builds_with_chained_manifests(tiny_family):
    home, digests, events = tiny_family
    root = home / "bases" / "nano-tiny"
    parents = {}
    for stage in ("pre", "mid", "post"):
        manifest, digest = checkpoint.read_valid_manifest(root / stage)
        assert digest == digests[stage] and manifest["stage"] == stage
        parents[stage] = manifest.get("parent_digest")
        assert json.loads((root / stage / "tokenizer_config.json").read_text())["chat_template"]
    assert parents == {"pre": None, "mid": digests["pre"], "post": digests["mid"]}
    for event in events:
        assert protocol.problems("events", event) == [], event


def _corpus_loss(model_dir, texts: list[str]) -> float:
    """Mean next-token loss of a checkpoint over `texts` (each cut to 64 tokens)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    total = count = 0.0
    with torch.no_grad():
        for text in texts:
            ids = tokenizer(text, return_tensors="pt").input_ids[:, :64]
            total += model(ids, labels=ids).loss.item() * (ids.shape[1] - 1)
            count += ids.shape[1] - 1
    return total / count


def test_each_stage_lowered_its_loss_and_changed_the_weights(tiny_family):
    home, _, events = tiny_family
    root = home / "bases" / "nano-tiny"
    # pre and post: the training loss falls clearly within the stage
    for stage in ("pre", "post"):
        losses = [
            e["loss"] for e in events if e["type"] == "progress" and e["run_id"] == f"nano-{stage}"
        ]
        first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
        assert last < first, f"{stage}: loss did not fall ({first:.3f} -> {last:.3f})"
    # mid's 20 tiny steps start on a new distribution and their batch losses are noisy (one
    # build's first and last three were 3.86 and 3.92): compare its corpus under pre and mid
    mid_texts = [json.loads(line)["text"] for line in (root / "corpora" / "mid.jsonl").open()]
    before, after = (_corpus_loss(root / s, mid_texts[:64]) for s in ("pre", "mid"))
    assert after < before - 0.05, f"mid: loss on its corpus {before:.3f} -> {after:.3f}"
    mid, post = (load_file(root / s / "model.safetensors") for s in ("mid", "post"))
    assert any(not torch.equal(mid[k], post[k]) for k in mid)


def test_second_build_reuses_the_cache(tiny_family):
    home, digests, _ = tiny_family
    again = []
    assert build_nano("tiny", home, lambda s: EventEmitter(s, list_sink(again))) == digests
    # only the three cached checkpoints are announced: no stage trained again
    assert [e["type"] for e in again] == ["checkpoint"] * 3


def test_demo_preset_is_the_feasibility_size():
    from transformers import LlamaConfig, LlamaForCausalLM

    p = PRESETS["demo"]
    config = LlamaConfig(
        vocab_size=p.vocab_size,
        hidden_size=p.hidden_size,
        intermediate_size=p.intermediate_size,
        num_hidden_layers=p.layers,
        num_attention_heads=p.heads,
        tie_word_embeddings=True,
    )
    with torch.device("meta"):
        params = sum(t.numel() for t in LlamaForCausalLM(config).parameters())
    # docs/design/DEMO.md's prototype: 3.3M parameters with a ~900-word vocabulary; ours spends
    # 0.5M more on a 2k BPE vocabulary that keeps the world's names whole
    assert 3.0e6 < params < 3.8e6 and p.hidden_size == 256 and p.layers == 4 and p.seq_len == 128


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("stage", ["pre", "mid", "post"])
def test_every_preset_stage_spec_is_a_valid_job_spec(preset, stage, tmp_path):
    from crucible_trainer.nano.build import stage_spec
    from crucible_trainer.spec import parse_spec

    fake = "sha256:" + "0" * 64
    data = {name: (tmp_path / f"{name}.jsonl", fake) for name in ("pre", "mid", "post")}
    spec = parse_spec(stage_spec(PRESETS[preset], stage, (tmp_path, fake), data, tmp_path / "o"))
    assert spec.stage == ("sft" if stage == "post" else "cpt")


def test_demo_stages_train_in_bf16_only_where_the_cpu_has_it(monkeypatch, tmp_path):
    from crucible_trainer.nano.build import stage_spec
    from crucible_trainer.spec import parse_spec

    data = {n: (tmp_path / f"{n}.jsonl", "sha256:" + "0" * 64) for n in ("pre", "mid", "post")}
    base = (tmp_path / "init", "sha256:" + "1" * 64)

    def precision(preset):
        doc = stage_spec(PRESETS[preset], "pre", base, data, tmp_path / "out")
        return parse_spec(doc).runtime.precision

    assert precision("tiny") == "fp32"
    native = torch.ops.mkldnn._is_mkldnn_bf16_supported() or torch.cuda.is_available()
    assert precision("demo") == ("bf16" if native else "fp32")
    # The edge of the world: a CPU without AVX512-BF16/AMX and no GPU.
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert precision("demo") == "fp32"
