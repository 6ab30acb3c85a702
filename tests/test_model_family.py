"""One model family: GPT, BERT and the encoder-decoder share one block, one config base, one mask path, one
set of names and one kind of forward output (README, "One model family")."""

import ast
import dataclasses
import pathlib

import pytest
import torch
from torch import nn

import course_lib
from course_lib.bert import Bert, BertConfig
from course_lib.blocks import Block
from course_lib.config import ModelConfig, Recipe
from course_lib.gpt import GPT, GPTConfig
from course_lib.multihead import MultiHeadAttention
from course_lib.training import TrainConfig
from course_lib.transformer import EncoderDecoder, TransformerConfig

ROOT = pathlib.Path(course_lib.__file__).parent
FAMILIES = {
    "gpt": (GPTConfig, GPT, (40,), lambda m: (torch.randint(0, 40, (2, 6)),)),
    "bert": (BertConfig, Bert, (40,), lambda m: (torch.tensor([[2, 9, 3, 10, 3, 0], [2, 11, 12, 3, 13, 3]]),)),
    "seq2seq": (TransformerConfig, EncoderDecoder, (40, 30),
                lambda m: (torch.randint(7, 40, (2, 5)), torch.tensor([[5, 8, 9], [5, 10, 11]]))),
}


@pytest.fixture(params=list(FAMILIES))
def family(request):
    Config, Model, vocab, inputs = FAMILIES[request.param]
    torch.manual_seed(0)
    config = Config.preset("cpu", *vocab, dropout=0.0, n_layers=2)
    return config, Model(config).eval(), inputs


def test_configs_share_one_base_presets_and_recipes(family):
    config, _, _ = family
    Config = type(config)
    assert issubclass(Config, ModelConfig)
    assert {"cpu", "t4", "a100"} <= set(Config.PRESETS)
    for name in ("cpu", "t4", "a100"):
        recipe = Config.recipe(name)
        assert isinstance(recipe, Recipe) and isinstance(recipe.train, TrainConfig) and recipe.batch_size >= 1
    assert Config.recipe("cpu", max_steps=10).train.max_steps == 10
    assert Config.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="d_model"):
        dataclasses.replace(config, n_heads=3 if config.d_model % 3 else 5)
    with pytest.raises(ValueError, match="presets of"):
        Config.preset("gpu", 40)


def test_models_are_stacks_of_the_one_block_with_the_same_names(family):
    _, model, _ = family
    stacks = [model.blocks] if hasattr(model, "blocks") else [model.encoder.blocks, model.decoder.blocks]
    for stack in stacks:
        assert isinstance(stack, nn.ModuleList) and all(type(b).__mro__[1:].__contains__(Block) or type(b) is Block
                                                         for b in stack)
        assert all(isinstance(b.self_attn, MultiHeadAttention) for b in stack)
    assert isinstance(model.head if hasattr(model, "head") else model.mlm_head, nn.Module)
    assert model.num_params() == sum(p.numel() for p in model.parameters())
    for old in ("layers", "output", "num_parameters", "attn"):
        assert not hasattr(model, old), f"{type(model).__name__}.{old}: the family's name for it is different"


def test_forward_returns_logits_then_attentions(family):
    _, model, inputs = family
    out = model(*inputs(model))
    assert out._fields[:2] == ("logits", "attentions") and out.attentions is None
    weights = model(*inputs(model), need_weights=True).attentions
    first = weights[0] if isinstance(weights, list) else weights.encoder[0]
    assert first.dim() == 4 and torch.allclose(first.sum(-1)[first.sum(-1) > 0], torch.tensor(1.0))


def test_generating_models_have_a_cache():
    for Config, Model, vocab, _ in (FAMILIES["gpt"], FAMILIES["seq2seq"]):
        model = Model(Config.preset("tiny" if "tiny" in Config.PRESETS else "cpu", *vocab))
        assert model.new_cache() is not None


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module} | \
        {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}


@pytest.mark.parametrize("path", sorted(p for d in ("gpt", "bert", "transformer") for p in (ROOT / d).glob("*.py")
                                        if p.name in ("model.py", "config.py", "sampling.py", "decoding.py")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_models_neither_import_the_notebook_runtime_nor_build_masks_by_hand(path):
    assert "course_lib.runtime" not in _imports(path)
    source = path.read_text()
    assert "[:, None, None, :]" not in source and ".tril(" not in source, \
        f"{path.name} builds a mask by hand: use course_lib.masking"


def test_there_is_one_block_class():
    blocks = [n.name for p in ROOT.rglob("*.py") for n in ast.walk(ast.parse(p.read_text()))
              if isinstance(n, ast.ClassDef) and n.name.endswith("Block")]
    assert sorted(blocks) == ["Block", "DecoderBlock", "EncoderBlock"], blocks
