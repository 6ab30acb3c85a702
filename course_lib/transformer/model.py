"""The encoder-decoder transformer of "Attention Is All You Need": Encoder, Decoder, EncoderDecoder.

Taught in 08_encoder_decoder. Source ids -> token embedding (* sqrt(d_model)) + positions -> a stack of
EncoderBlocks -> memory. Target ids (shifted right, starting with the start token) -> embedding +
positions -> a stack of DecoderBlocks (masked self-attention, cross-attention over the memory,
feed-forward) -> a linear layer to target-vocabulary logits; softmax turns them into probabilities.
`loss` is teacher forcing: the decoder reads tgt[:, :-1] and is scored on tgt[:, 1:], padding ignored.

Both stacks are the course's one block (course_lib.blocks: EncoderBlock, and DecoderBlock, causal with
cross-attention). Masks: the encoder and the cross-attention ignore source padding
(course_lib.masking.padding_mask). The decoder's self-attention needs only its causal flag: padding sits
at the end of a target, so a real position never sees it, and the outputs at padding positions are
ignored by the loss. (So a start token equal to [PAD], as in Marian models, works too.) `forward` returns
a ModelOutput (logits, attentions); attentions, when asked, are `Attentions`: three lists over layers of
(B, H, T_q, T_k) tensors, the format every plot, widget and bertviz view takes. `decode` takes a cache
(`new_cache()`) so that decoding reads each new target token once and the source's keys and values once.
Deliberately left out: relative positions, and weight-sharing tricks beyond the config switches.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_lib.blocks import DecoderBlock, EncoderBlock, LayerNorm
from course_lib.config import ModelOutput
from course_lib.embeddings import TokenEmbedding
from course_lib.guards import token_ids
from course_lib.masking import padding_mask
from course_lib.multihead import KVCache
from course_lib.positional import LearnedPositionalEmbedding, SinusoidalPositionalEncoding

from .config import TransformerConfig


class DecoderCache(NamedTuple):
    """What decoding keeps between steps: one KVCache per decoder block for self- and for cross-attention."""

    self_attn: list[KVCache]
    cross_attn: list[KVCache]


class Attentions(NamedTuple):
    """Attention weights of one forward pass: each a list over layers of (B, H, T_q, T_k) tensors."""

    encoder: list[Tensor]   # (B, H, S, S): source attends to source
    decoder: list[Tensor]   # (B, H, T, T): target attends to the target so far (causal)
    cross: list[Tensor]     # (B, H, T, S): target (queries) attends to source (keys, values)


def check_ids(ids, name: str, vocab_size: int, max_len: int) -> None:
    """A clear error unless ids is a (B, T) integer tensor with 1 <= T <= max_len and ids in [0, vocab_size)."""
    token_ids(name, ids, vocab_size, max_len)


class _Embed(nn.Module):
    """Token embedding (optionally * sqrt(d_model)) plus positions, then dropout: ids (B, T) -> (B, T, d_model)."""

    def __init__(self, config: TransformerConfig, vocab_size: int, tokens: TokenEmbedding | None = None):
        super().__init__()
        c = config
        if tokens is None:
            tokens = TokenEmbedding(vocab_size, c.d_model, padding_idx=c.pad_id, scale=c.scale_embeddings)
            nn.init.normal_(tokens.weight, std=c.d_model ** -0.5)  # unit scale after * sqrt(d_model)
            with torch.no_grad():
                tokens.weight[c.pad_id].zero_()
        self.tokens = tokens
        if c.positional == "sinusoidal":
            self.positions = SinusoidalPositionalEncoding(c.max_len, c.d_model, dropout=c.dropout,
                                                          layout=c.sinusoidal_layout)
        else:
            self.positions = LearnedPositionalEmbedding(c.max_len, c.d_model, dropout=c.dropout)

    def forward(self, ids: Tensor, offset: int = 0) -> Tensor:
        positions = torch.arange(offset, offset + ids.shape[1], device=ids.device)  # (T,)
        return self.positions(self.tokens(ids), positions)  # (B, T, d_model)


class Encoder(nn.Module):
    """Source ids (B, S) -> memory (B, S, d_model): embeddings + positions, then n encoder blocks."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        c = self.config = config
        self.embed = _Embed(c, c.src_vocab_size)
        self.blocks = nn.ModuleList(EncoderBlock(c.d_model, c.n_heads, c.d_ff, c.dropout, c.activation, c.norm_first)
                                    for _ in range(c.encoder_layers))
        self.norm = LayerNorm(c.d_model) if c.use_final_norm else nn.Identity()

    def forward(self, src: Tensor, src_mask: Tensor | None = None,
                need_weights: bool = False) -> tuple[Tensor, list[Tensor] | None]:
        """src (B, S); src_mask (B, 1, 1, S), True = real token (default: from pad_id).
        Returns memory (B, S, d_model) and, if need_weights, a list over layers of (B, H, S, S)."""
        check_ids(src, "src", self.config.src_vocab_size, self.config.max_len)
        if src_mask is None:
            src_mask = padding_mask(src, self.config.pad_id)  # (B, 1, 1, S)
        x, weights = self.embed(src), []  # (B, S, d_model)
        for block in self.blocks:
            x, w = block(x, src_mask, need_weights=need_weights)
            weights.append(w)
        return self.norm(x), (weights if need_weights else None)


class Decoder(nn.Module):
    """Decoder input ids (B, T) + memory (B, S, d_model) -> hidden states (B, T, d_model)."""

    def __init__(self, config: TransformerConfig, shared: TokenEmbedding | None = None):
        super().__init__()
        c = self.config = config
        self.embed = _Embed(c, c.tgt_vocab_size, tokens=shared)
        self.blocks = nn.ModuleList(DecoderBlock(c.d_model, c.n_heads, c.d_ff, c.dropout, c.activation, c.norm_first)
                                    for _ in range(c.decoder_layers))
        self.norm = LayerNorm(c.d_model) if c.use_final_norm else nn.Identity()

    def forward(self, tgt_in: Tensor, memory: Tensor, memory_mask: Tensor | None = None, need_weights: bool = False,
                cache: DecoderCache | None = None) -> tuple[Tensor, list[Tensor] | None, list[Tensor] | None]:
        """tgt_in (B, T); memory (B, S, d_model); memory_mask (B, 1, 1, S), True = real source token.
        cache: a DecoderCache holding the T_past earlier target positions (updated in place).
        Returns x (B, T, d_model) and, if need_weights, self- (B, H, T, T_k) and cross- (B, H, T, S) weights."""
        past = len(cache.self_attn[0]) if cache is not None else 0
        check_ids(tgt_in, "tgt_in", self.config.tgt_vocab_size, self.config.max_len - past)
        x, self_w, cross_w = self.embed(tgt_in, offset=past), [], []  # (B, T, d_model)
        for i, block in enumerate(self.blocks):
            caches = (cache.self_attn[i], cache.cross_attn[i]) if cache is not None else (None, None)
            x, w = block(x, memory=memory, memory_mask=memory_mask, need_weights=need_weights, cache=caches[0],
                         cross_cache=caches[1])
            if need_weights:
                self_w.append(w[0]), cross_w.append(w[1])
        x = self.norm(x)
        return (x, self_w, cross_w) if need_weights else (x, None, None)


class EncoderDecoder(nn.Module):
    """The whole translator: forward(src, tgt_in) -> logits (B, T, tgt_vocab_size); loss(src, tgt)."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        if not isinstance(config, TransformerConfig):
            raise TypeError(f"config must be a TransformerConfig, got {type(config).__name__}")
        c = self.config = config
        self.encoder = Encoder(c)
        self.decoder = Decoder(c, shared=self.encoder.embed.tokens if c.share_embeddings else None)
        self.head = nn.Linear(c.d_model, c.tgt_vocab_size, bias=False)  # the "final linear" before softmax
        if c.tie_output:
            self.head.weight = self.decoder.embed.tokens.weight  # one (tgt_vocab_size, d_model) table
        if c.final_logits_bias:
            self.register_buffer("final_logits_bias", torch.zeros(c.tgt_vocab_size))

    def encode(self, src: Tensor, need_weights: bool = False) -> tuple[Tensor, Tensor, list[Tensor] | None]:
        """src (B, S) -> (memory (B, S, d_model), src_mask (B, 1, 1, S), encoder weights or None)."""
        check_ids(src, "src", self.config.src_vocab_size, self.config.max_len)
        src_mask = padding_mask(src, self.config.pad_id)
        memory, weights = self.encoder(src, src_mask, need_weights)
        return memory, src_mask, weights

    def new_cache(self) -> DecoderCache:
        """An empty decoding cache: a KVCache per decoder block for self-attention and for cross-attention."""
        n = len(self.decoder.blocks)
        return DecoderCache([KVCache() for _ in range(n)], [KVCache() for _ in range(n)])

    def decode(self, tgt_in: Tensor, memory: Tensor, src_mask: Tensor | None = None, need_weights: bool = False,
               cache: DecoderCache | None = None) -> tuple[Tensor, list[Tensor] | None, list[Tensor] | None]:
        """tgt_in (B, T) with the memory of its source -> (logits (B, T, V), self weights, cross weights).

        With a cache, tgt_in holds only the positions not seen yet (one token per decoding step)."""
        x, self_w, cross_w = self.decoder(tgt_in, memory, src_mask, need_weights, cache)
        logits = self.head(x)  # (B, T, tgt_vocab_size)
        if self.config.final_logits_bias:
            logits = logits + self.final_logits_bias
        return logits, self_w, cross_w

    def forward(self, src: Tensor, tgt_in: Tensor, need_weights: bool = False) -> ModelOutput:
        """src (B, S), tgt_in (B, T) -> ModelOutput(logits (B, T, tgt_vocab_size), attentions).

        attentions: with need_weights=True an Attentions(encoder, decoder, cross), otherwise None.
        """
        check_ids(tgt_in, "tgt_in", self.config.tgt_vocab_size, self.config.max_len)
        if tgt_in.shape[0] != src.shape[0]:
            raise ValueError(f"src and tgt_in must have the same batch size, got {src.shape[0]} and {tgt_in.shape[0]}")
        memory, src_mask, enc_w = self.encode(src, need_weights)
        logits, self_w, cross_w = self.decode(tgt_in, memory, src_mask, need_weights)
        return ModelOutput(logits, Attentions(enc_w, self_w, cross_w) if need_weights else None)

    def loss(self, src: Tensor, tgt: Tensor) -> Tensor:
        """Teacher forcing: mean cross-entropy of predicting tgt[:, 1:] from tgt[:, :-1], [PAD] ignored.

        tgt (B, T) is the full target: start token, words, <eos>, then padding.
        """
        c = self.config
        check_ids(tgt, "tgt", c.tgt_vocab_size, c.max_len + 1)
        if tgt.shape[1] < 2:
            raise ValueError(f"tgt must hold the start token and at least one token to predict, got shape "
                             f"{tuple(tgt.shape)}")
        if tgt.device.type == "cpu" and not bool((tgt[:, 0] == c.decoder_start_id).all()):
            raise ValueError(f"every tgt row must begin with the start token (id {c.decoder_start_id}), got first "
                             f"tokens {tgt[:, 0].tolist()[:8]}")
        tgt_in, tgt_out = tgt[:, :-1], tgt[:, 1:]  # (B, T-1) each: read one token, predict the next
        logits = self(src, tgt_in).logits  # (B, T-1, V)
        if logits.dtype in (torch.float16, torch.bfloat16):  # under autocast: the softmax in float32
            logits = logits.float()
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1),
                               ignore_index=c.pad_id, label_smoothing=c.label_smoothing)

    def num_params(self) -> int:
        """Parameters counted once, even when tables are shared."""
        return sum(p.numel() for p in self.parameters())

    def extra_repr(self) -> str:
        c = self.config
        return (f"d_model={c.d_model}, n_heads={c.n_heads}, d_ff={c.d_ff}, layers={c.encoder_layers}+"
                f"{c.decoder_layers}, vocab={c.src_vocab_size}->{c.tgt_vocab_size}, "
                f"{'pre' if c.norm_first else 'post'}-norm, {c.positional} positions")


def sequence_log_prob(model: EncoderDecoder, src: Tensor, tgt: Tensor) -> Tensor:
    """log P(tgt[1:] | src) for each row: the sum of the log-probabilities of every token after the start
    token, padding excluded. src (B, S), tgt (B, T) -> (B,). The score greedy and beam search maximise."""
    logits = model(src, tgt[:, :-1]).logits  # (B, T-1, V)
    logp = torch.log_softmax(logits.double(), dim=-1).gather(-1, tgt[:, 1:, None]).squeeze(-1)  # (B, T-1)
    return (logp * (tgt[:, 1:] != model.config.pad_id)).sum(-1)
