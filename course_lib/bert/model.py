"""The BERT model: embeddings (token + segment + position), a post-norm GELU encoder, MLM and NSP heads.

Taught in 09_bert_pretraining. `Bert(config)` reads ids (B, T) such as [CLS] a [SEP] b [SEP] [PAD]...
- embeddings: token + position + segment vectors, summed, then LayerNorm and dropout;
- n_layers of the course's one block (course_lib.blocks.Block) with post-norm and GELU, as BERT; padding
  is masked out of attention (course_lib.masking), and nothing else is: every token sees both directions;
- the masked-LM head: dense + GELU + LayerNorm, then a decoder whose weight IS the token embedding
  (tied) with its own bias, giving logits over the vocabulary at every position;
- the NSP head: the pooler (dense + tanh on the [CLS] vector) then a linear layer to 2 classes
  (index 0 = "b follows a", 1 = "b is random"), as in BERT's checkpoints.
`forward` returns a BertOutput (logits and attentions first, as every model of the course); `loss` (beside it) is the masked-LM cross-entropy over labelled
positions plus, unless config.nsp is False, the NSP cross-entropy. `BertClassifier` fine-tunes a Bert on
[CLS]. Parameter names map one to one onto Hugging Face's BertForPreTraining (see HF_NAMES); attention
keeps its query/key/value weights stacked in one matrix (course_lib.multihead), a converter concatenates
them. Deliberately left out: dropout placement inside the feed-forward network (ours drops after the
GELU too), relative positions, and the pretraining data (pretraining_data.py).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_lib.blocks import Block, LayerNorm
from course_lib.embeddings import TokenEmbedding
from course_lib.guards import token_ids
from course_lib.masking import attention_mask_to_padding
from course_lib.positional import LearnedPositionalEmbedding

from .config import BertConfig
from .pretraining_data import IGNORE

# Where each of our parameters lives in Hugging Face's BertForPreTraining ({i}: the block): our parameter or
# module -> their tensor or module; three names are stacked into our fused qkv (rows q, k, v). The
# converter (course_lib.interop.bert) is a loop over this table. mlm_head.decoder.weight is tied to the token
# embedding, so the embedding row fills it; its bias is cls.predictions.bias.
HF_NAMES = {
    "embeddings.tokens.embedding.weight": "bert.embeddings.word_embeddings.weight",
    "embeddings.positions.embedding.weight": "bert.embeddings.position_embeddings.weight",
    "embeddings.segments.weight": "bert.embeddings.token_type_embeddings.weight",
    "embeddings.norm": "bert.embeddings.LayerNorm",
    "blocks.{i}.self_attn.qkv": ("bert.encoder.layer.{i}.attention.self.query",
                                 "bert.encoder.layer.{i}.attention.self.key",
                                 "bert.encoder.layer.{i}.attention.self.value"),
    "blocks.{i}.self_attn.out": "bert.encoder.layer.{i}.attention.output.dense",
    "blocks.{i}.norm1": "bert.encoder.layer.{i}.attention.output.LayerNorm",
    "blocks.{i}.ffn.linear1": "bert.encoder.layer.{i}.intermediate.dense",
    "blocks.{i}.ffn.linear2": "bert.encoder.layer.{i}.output.dense",
    "blocks.{i}.norm2": "bert.encoder.layer.{i}.output.LayerNorm",
    "pooler.dense": "bert.pooler.dense",
    "mlm_head.transform": "cls.predictions.transform.dense",
    "mlm_head.norm": "cls.predictions.transform.LayerNorm",
    "mlm_head.decoder.bias": "cls.predictions.bias",
    "nsp_head": "cls.seq_relationship",
}


class BertOutput(NamedTuple):
    """What Bert.forward returns: logits and attentions first, as every model's output (course_lib.config)."""

    logits: Tensor            # (B, T, vocab_size): the masked-LM scores at every position
    attentions: list[Tensor] | None  # a list over layers of (B, H, T, T), or None
    hidden: Tensor            # (B, T, d_model): the last layer's vector for every token
    pooled: Tensor            # (B, d_model): tanh(dense(hidden[:, 0])), the pooled [CLS] vector
    nsp_logits: Tensor        # (B, 2): index 0 = b follows a, 1 = b is random


class BertEmbeddings(nn.Module):
    """ids, segments (B, T) -> dropout(LayerNorm(token + position + segment vectors)) (B, T, d_model)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        c = config
        self.tokens = TokenEmbedding(c.vocab_size, c.d_model, padding_idx=c.pad_id)
        self.positions = LearnedPositionalEmbedding(c.max_len, c.d_model, dropout=0.0)  # adds position vectors
        self.segments = nn.Embedding(c.n_segments, c.d_model)  # one vector for sentence A, one for sentence B
        self.norm = LayerNorm(c.d_model, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.dropout)

    def forward(self, ids: Tensor, segments: Tensor) -> Tensor:
        x = self.positions(self.tokens(ids)) + self.segments(segments)  # (B, T, d_model)
        return self.dropout(self.norm(x))


class BertPooler(nn.Module):
    """hidden (B, T, d_model) -> tanh(dense(hidden[:, 0])) (B, d_model): the [CLS] vector, transformed."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.d_model, config.d_model)

    def forward(self, hidden: Tensor) -> Tensor:
        return torch.tanh(self.dense(hidden[:, 0]))


class BertMLMHead(nn.Module):
    """(..., d_model) -> (..., vocab_size): dense + GELU + LayerNorm, then the decoder tied to the embedding."""

    def __init__(self, config: BertConfig, token_embedding: TokenEmbedding):
        super().__init__()
        self.transform = nn.Linear(config.d_model, config.d_model)
        self.norm = LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.decoder = nn.Linear(config.d_model, config.vocab_size)  # its own bias, one per token
        self.decoder.weight = token_embedding.weight  # tied: (vocab_size, d_model), the same Parameter

    def forward(self, hidden: Tensor) -> Tensor:
        return self.decoder(self.norm(F.gelu(self.transform(hidden))))


def check_ids(name: str, x, config: BertConfig, like: Tensor | None = None) -> None:
    """A clear error unless x is a (B, T) integer tensor with 1 <= T <= max_len (and shaped like `like`)."""
    token_ids(name, x, max_len=config.max_len)
    if like is not None and x.shape != like.shape:
        raise ValueError(f"{name} must have the shape of ids {tuple(like.shape)}, got {tuple(x.shape)}")


def segments_from_sep(ids: Tensor, config: BertConfig) -> Tensor:
    """Segment ids read off the first [SEP] of each row: 0 up to and including it, 1 after it (not on padding).

    A row without [SEP] is an error: BERT's inputs are [CLS] a [SEP] or [CLS] a [SEP] b [SEP].
    """
    is_sep = ids == config.sep_id                                          # (B, T)
    missing = (~is_sep.any(dim=1)).nonzero().flatten()
    if len(missing):
        raise ValueError(f"ids row {int(missing[0])} has no [SEP] (id {config.sep_id}): BERT inputs are "
                         "[CLS] a [SEP] or [CLS] a [SEP] b [SEP] (encode_pair builds them); or pass segments")
    after_first_sep = (is_sep.cumsum(dim=1) - is_sep.long()) > 0           # (B, T)
    return (after_first_sep & (ids != config.pad_id)).long()


class Bert(nn.Module):
    """BERT for pretraining: forward(ids, segments, attention_mask, need_weights) -> BertOutput; loss(...)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        if not isinstance(config, BertConfig):
            raise TypeError(f"config must be a BertConfig, got {type(config).__name__}")
        c = self.config = config
        self.embeddings = BertEmbeddings(c)
        self.blocks = nn.ModuleList(Block(c.d_model, c.n_heads, c.d_ff, c.dropout, activation="gelu",
                                          norm_first=False, eps=c.layer_norm_eps) for _ in range(c.n_layers))
        self.pooler = BertPooler(c)
        self.mlm_head = BertMLMHead(c, self.embeddings.tokens)
        self.nsp_head = nn.Linear(c.d_model, 2)
        self._init_weights()

    @torch.no_grad()
    def _init_weights(self) -> None:
        """BERT's initialisation: N(0, init_std) weights, zero biases, LayerNorms at 1 and 0, [PAD] row 0."""
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=self.config.init_std)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
        self.embeddings.tokens.weight[self.config.pad_id].zero_()

    def encode(self, ids: Tensor, segments: Tensor | None = None, attention_mask: Tensor | None = None,
               need_weights: bool = False) -> tuple[Tensor, list[Tensor] | None]:
        """The encoder alone: hidden states (B, T, d_model) and, if need_weights, a list of (B, H, T, T).

        segments: (B, T) 0 for [CLS] a [SEP], 1 for b [SEP]; None reads them off the first [SEP].
        attention_mask: (B, T), True (or 1) = a real token; None means every token but [PAD].
        """
        c = self.config
        token_ids("ids", ids, c.vocab_size, c.max_len)
        if segments is None:
            segments = segments_from_sep(ids, c)
        check_ids("segments", segments, c, like=ids)
        if segments.device.type == "cpu" and (int(segments.min()) < 0 or int(segments.max()) >= c.n_segments):
            raise ValueError(f"segments must hold ids in [0, n_segments={c.n_segments}) (0 = sentence A, 1 = "
                             f"sentence B), got values from {int(segments.min())} to {int(segments.max())}")
        if attention_mask is None:
            attention_mask = ids != c.pad_id
        elif not isinstance(attention_mask, Tensor) or attention_mask.shape != ids.shape:
            got = tuple(attention_mask.shape) if isinstance(attention_mask, Tensor) else type(attention_mask).__name__
            raise ValueError(f"attention_mask must be a (B, T) tensor like ids {tuple(ids.shape)}, got {got}")
        mask = attention_mask_to_padding(attention_mask)  # (B, 1, 1, T): every query may see every real key
        x = self.embeddings(ids, segments)  # (B, T, d_model)
        attentions = []
        for block in self.blocks:
            x, weights = block(x, mask, need_weights=need_weights)
            attentions.append(weights)
        return x, (attentions if need_weights else None)

    def forward(self, ids: Tensor, segments: Tensor | None = None, attention_mask: Tensor | None = None,
                need_weights: bool = False) -> BertOutput:
        """ids (B, T) -> BertOutput(logits, attentions, hidden, pooled, nsp_logits)."""
        hidden, attentions = self.encode(ids, segments, attention_mask, need_weights)
        pooled = self.pooler(hidden)  # (B, d_model)
        return BertOutput(self.mlm_head(hidden), attentions, hidden, pooled, self.nsp_head(pooled))

    def losses(self, ids: Tensor, segments: Tensor | None, mlm_labels: Tensor,
               nsp_labels: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """(masked-LM loss, NSP loss or None). The MLM loss is the mean cross-entropy over positions whose
        label is not IGNORE (-100); the vocabulary logits are computed at those positions only."""
        check_ids("mlm_labels", mlm_labels, self.config, like=ids)
        chosen = mlm_labels != IGNORE  # (B, T)
        if mlm_labels.device.type == "cpu" and chosen.any() and not 0 <= int(mlm_labels[chosen].min()) \
                <= int(mlm_labels[chosen].max()) < self.config.vocab_size:
            raise ValueError(f"mlm_labels must hold ids in [0, vocab_size={self.config.vocab_size}) or IGNORE (-100), "
                             f"got values from {int(mlm_labels[chosen].min())} to {int(mlm_labels[chosen].max())}")
        hidden, _ = self.encode(ids, segments)
        if chosen.any():
            mlm = F.cross_entropy(self.mlm_head(hidden[chosen]), mlm_labels[chosen])  # (N, V) logits
        else:  # nothing masked in this batch: zero, still attached to the graph
            mlm = hidden.sum() * 0.0
        if nsp_labels is None:
            return mlm, None
        if not isinstance(nsp_labels, Tensor) or nsp_labels.shape != ids.shape[:1]:
            got = tuple(nsp_labels.shape) if isinstance(nsp_labels, Tensor) else type(nsp_labels).__name__
            raise ValueError(f"nsp_labels must be a (B,) = ({ids.shape[0]},) tensor of 0/1, got {got}")
        nsp = F.cross_entropy(self.nsp_head(self.pooler(hidden)), nsp_labels)
        return mlm, nsp

    def loss(self, ids: Tensor, segments: Tensor | None, mlm_labels: Tensor,
             nsp_labels: Tensor | None = None) -> Tensor:
        """MLM loss + NSP loss (the NSP term is left out when config.nsp is False or nsp_labels is None)."""
        mlm, nsp = self.losses(ids, segments, mlm_labels, nsp_labels if self.config.nsp else None)
        return mlm if nsp is None else mlm + nsp

    def num_params(self) -> int:
        """Parameters, the tied embedding/decoder matrix counted once."""
        return sum(p.numel() for p in self.parameters())

    def flops_per_token(self, T: int | None = None, mlm_fraction: float = 0.15) -> float:
        """Pretraining FLOPs per input token (forward + backward) at sequence length T (default max_len).

        6 per parameter that multiplies, as for the GPT, but counted where the work is done: the encoder
        at every token; the masked-LM head (its transform and the vocabulary decoder) only at the
        `mlm_fraction` of positions that carry a label, since `losses` decodes those alone; the pooler
        and the NSP head once per sequence (1/T per token). Embedding lookups cost nothing. Attention
        adds 12 * n_layers * d_model * T (scores and weighted sum). Counting the tied decoder at every
        token, as the 6 x parameters rule does, would overstate the work by the whole vocabulary matmul.
        """
        c = self.config
        T = c.max_len if T is None else T
        if not (isinstance(T, int) and 1 <= T <= c.max_len):
            raise ValueError(f"T must be an int in [1, max_len={c.max_len}], got {T!r}")
        if not 0.0 <= mlm_fraction <= 1.0:
            raise ValueError(f"mlm_fraction must be in [0, 1] (the share of positions with an MLM label), "
                             f"got {mlm_fraction!r}")
        count = lambda module: sum(p.numel() for p in module.parameters())  # noqa: E731
        encoder = sum(count(block) for block in self.blocks)
        head = count(self.mlm_head)  # transform, norm, decoder bias and the tied (vocab, d_model) matrix
        per_sequence = count(self.pooler) + count(self.nsp_head)
        return (6.0 * (encoder + mlm_fraction * head + per_sequence / T)
                + 12.0 * c.n_layers * c.d_model * T)


class BertClassifier(nn.Module):
    """Sentence (pair) classification on [CLS]: bert's pooled vector -> dropout -> Linear(d_model, n_classes)."""

    def __init__(self, bert: Bert, n_classes: int, dropout: float | None = None):
        super().__init__()
        if not isinstance(bert, Bert):
            raise TypeError(f"bert must be a Bert, got {type(bert).__name__}")
        if not isinstance(n_classes, int) or isinstance(n_classes, bool) or n_classes < 2:
            raise ValueError(f"n_classes must be an int >= 2, got {n_classes!r}")
        self.bert, self.n_classes = bert, n_classes
        self.dropout = nn.Dropout(bert.config.dropout if dropout is None else dropout)
        self.classifier = nn.Linear(bert.config.d_model, n_classes)
        nn.init.normal_(self.classifier.weight, std=bert.config.init_std)
        nn.init.zeros_(self.classifier.bias)

    def forward(self, ids: Tensor, segments: Tensor | None = None, attention_mask: Tensor | None = None) -> Tensor:
        """ids (B, T) -> logits (B, n_classes)."""
        hidden, _ = self.bert.encode(ids, segments, attention_mask)
        return self.classifier(self.dropout(self.bert.pooler(hidden)))

    def loss(self, ids: Tensor, segments: Tensor | None, labels: Tensor) -> Tensor:
        """Mean cross-entropy of the class logits against labels (B,)."""
        if not isinstance(labels, Tensor) or labels.shape != ids.shape[:1]:
            got = tuple(labels.shape) if isinstance(labels, Tensor) else type(labels).__name__
            raise ValueError(f"labels must be a (B,) = ({ids.shape[0]},) tensor of class ids, got {got}")
        return F.cross_entropy(self(ids, segments), labels)
