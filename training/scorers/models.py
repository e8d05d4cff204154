"""The four temporal architectures and three fusion styles, each a small window model.

Every model reads one 2-s window, (B, 60, 72) raw features from `edge.features.sequence` (52
pose, 20 audio), and returns `scores` (B, 5): sub-scores on the 0–100 scale, SUBSCORES order, and
`grade_logits` (B, 5): bands A–E. A performance's prediction is the *mean* of its windows'
outputs (scores and logits alike); training optimises exactly that mean (windows of a clip share
its label, and mean-pooling lets clean windows of a faulty clip stay clean). The last layers are
linear, so this equals pooling window embeddings before the heads.

Inside the model, before any learned layer (`InputLayer`): features are standardised with the
training corpus's mean and std; the pose is given as posture relative to the window's mean (the
movement's range and shape, not the absolute posture, which let models memorise the training
motions: on unseen motions sync ρ fell from 0.62 to 0.42 in a trial), plus its frame-to-frame
velocity and each keypoint's speed (kinematic beats are speed minima, freezes are zero speed,
jerky moves are speed bursts); the
pitch channel is lifted to (sin, cos) of 2π × semitones, gated by the voiced flag — in tune is
(0, 1) whatever the note, so intonation in cents becomes visible to a small network (it could not
read it from (MIDI − 60) / 24 alone).

Architectures (`ENCODERS`): 1-D temporal CNN (dilated residual convolutions), LSTM, GRU,
Transformer encoder (pre-norm, CLS token, attention weights kept for explanations).
Fusions (`FUSIONS`):
- early: one encoder over the concatenated 74 channels;
- late: one encoder + heads per modality; outputs mixed per output with a learned weight times the
  window's person-present share (music windows are judged by the audio model alone);
- hybrid: per-modality encoders whose frame embeddings are mixed by a learned attention gate
  (closed where no person is present), then attention-pooled over time into shared heads.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from edge.features.sequence import AUDIO_DIM, COLUMN, N_KEYPOINTS, POSE_DIM, PRESENT

PITCH, VOICED = COLUMN["pitch"], COLUMN["voiced"]
N_OUT = 5
ENCODERS = ("cnn", "lstm", "gru", "transformer")
FUSIONS = ("early", "late", "hybrid")


VELOCITY_SCALE = 10.0        # per-frame displacement in torso lengths → about unit size (median speed ~0.1)


class InputLayer(nn.Module):
    """Standardise raw features, add pose velocity and per-joint speed, lift pitch.

    Returns pose channels (B, T, 52 + 51 + 17) and audio channels (B, T, 22)."""

    def __init__(self, mean: torch.Tensor | None = None, std: torch.Tensor | None = None):
        super().__init__()
        n = POSE_DIM + AUDIO_DIM
        self.register_buffer("mean", torch.zeros(n) if mean is None else mean.float().clone())
        self.register_buffer("std", torch.ones(n) if std is None else std.float().clamp_min(1e-3).clone())

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = (x - self.mean) / self.std
        coords = x[..., :POSE_DIM - 1]
        # Posture relative to the window's mean: the range and shape of the movement, not which
        # motion it is (absolute posture let the models learn the training motions and generalise worse).
        posture = z[..., :POSE_DIM - 1] - z[..., :POSE_DIM - 1].mean(dim=1, keepdim=True)
        velocity = torch.cat([torch.zeros_like(coords[:, :1]), coords[:, 1:] - coords[:, :-1]], dim=1)
        both = x[..., PRESENT:PRESENT + 1]
        both = both * torch.cat([torch.zeros_like(both[:, :1]), both[:, :-1]], dim=1)   # present now and before
        velocity = VELOCITY_SCALE * velocity * both
        speed = velocity.reshape(*velocity.shape[:-1], N_KEYPOINTS, 3).square().sum(-1).add(1e-6).sqrt()
        angle = (2 * math.pi * 24.0) * x[..., PITCH:PITCH + 1]
        voiced = x[..., VOICED:VOICED + 1]
        lifted = torch.cat([torch.sin(angle) * voiced, torch.cos(angle) * voiced], dim=-1)
        pose = torch.cat([posture, x[..., PRESENT:PRESENT + 1], velocity, speed], dim=-1)
        return pose, torch.cat([z[..., POSE_DIM:], lifted], dim=-1)


AUDIO_IN = AUDIO_DIM + 2
POSE_IN = POSE_DIM + (POSE_DIM - 1) + N_KEYPOINTS


# ---------------------------------------------------------------- encoders: (B,T,C) -> (B,T,d) and pooled (B,p)

def pairs(x: torch.Tensor) -> torch.Tensor:
    """(B, T, C) → (B, T/2, 2C): two frames per step (15 steps a second), halving the recurrent and
    attention work; nothing is lost, the step sees both frames."""
    b, t, c = x.shape
    return x.reshape(b, t // PATCH, PATCH * c)


PATCH = 2


def frames_of_steps(a: torch.Tensor, k: int) -> torch.Tensor:
    """(B, S) per-step weights → (B, S·k), each step's weight on its k frames (no repeat_interleave:
    its index arithmetic exports to ops TFLite runtimes lack)."""
    return a.unsqueeze(-1).expand(a.shape[0], a.shape[1], k).reshape(a.shape[0], a.shape[1] * k)


class CNNEncoder(nn.Module):
    def __init__(self, c_in: int, width: int = 48, dropout: float = 0.1, kernel: int = 5):
        super().__init__()
        self.inp = nn.Conv1d(c_in, width, kernel + 1, stride=PATCH, padding=kernel // 2)
        self.blocks = nn.ModuleList(nn.Conv1d(width, width, kernel, padding=d * (kernel // 2), dilation=d)
                                    for d in (2, 4))
        self.drop = nn.Dropout(dropout)
        self.dim, self.pooled_dim = width, 2 * width

    def sequence(self, x: torch.Tensor) -> torch.Tensor:
        h = F.gelu(self.inp(x.transpose(1, 2)))
        for conv in self.blocks:
            h = h + self.drop(F.gelu(conv(h)))
        return h.transpose(1, 2)

    def pool(self, h: torch.Tensor) -> torch.Tensor:
        return torch.cat([h.mean(dim=1), h.amax(dim=1)], dim=-1)

    def encode(self, x):
        """(pooled (B, p), attention (B, T) or None)"""
        return self.pool(self.sequence(x)), None


class RNNEncoder(nn.Module):
    def __init__(self, c_in: int, kind: str, hidden: int = 48, dropout: float = 0.1):
        super().__init__()
        self.proj = nn.Linear(PATCH * c_in, hidden)
        self.rnn = (nn.GRU if kind == "gru" else nn.LSTM)(hidden, hidden, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.dim, self.pooled_dim = hidden, 2 * hidden

    def sequence(self, x):
        out, _ = self.rnn(self.drop(F.gelu(self.proj(pairs(x)))))
        return out

    def pool(self, h):
        return torch.cat([h.mean(dim=1), h[:, -1]], dim=-1)

    def encode(self, x):
        return self.pool(self.sequence(x)), None


class AttentionBlock(nn.Module):
    """Pre-norm Transformer layer written out, so the attention weights are an output (and export cleanly)."""

    def __init__(self, d: int, heads: int, ff: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.n1, self.n2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.out = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.ff = nn.Sequential(nn.Linear(d, ff), nn.GELU(), nn.Dropout(dropout), nn.Linear(ff, d))
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.n1(x)).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // self.heads), dim=-1)   # (B,H,T,T)
        x = x + self.drop(self.out((weights @ v).transpose(1, 2).reshape(b, t, d)))
        x = x + self.drop(self.ff(self.n2(x)))
        return x, weights.mean(dim=1)


class TransformerEncoder(nn.Module):
    def __init__(self, c_in: int, d: int = 48, layers: int = 2, heads: int = 4, ff: int = 96,
                 dropout: float = 0.1, max_len: int = 32):
        super().__init__()
        self.proj = nn.Linear(PATCH * c_in, d)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(torch.randn(1, max_len + 1, d) * 0.02)
        self.blocks = nn.ModuleList(AttentionBlock(d, heads, ff, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(d)
        self.dim, self.pooled_dim = d, 2 * d
        # a constant, not torch.eye at run time: TFLite runtimes lack the IOTA op that would need
        self.register_buffer("eye", torch.eye(max_len + 1), persistent=False)

    def tokens(self, x):
        """(tokens (B, 1 + T/2, d) with CLS first, CLS attention rollout spread onto frames (B, T))"""
        x = pairs(x)
        b, t, _ = x.shape
        h = torch.cat([self.cls.expand(b, -1, -1), self.proj(x)], dim=1) + self.pos[:, :t + 1]
        rollout = None
        for block in self.blocks:
            h, w = block(h)
            # Attention rollout (Abnar & Zuidema 2020): residual-corrected, chained over layers.
            w = 0.5 * w + 0.5 * self.eye[:t + 1, :t + 1]
            rollout = w if rollout is None else w @ rollout
        # CLS's attention to each step, spread back onto frames (B, T frames)
        return self.norm(h), frames_of_steps(rollout[:, 0, 1:], PATCH) / PATCH

    def sequence(self, x):
        return self.tokens(x)[0][:, 1:]

    def encode(self, x):
        h, attention = self.tokens(x)
        return torch.cat([h[:, 0], h[:, 1:].mean(dim=1)], dim=-1), attention


def make_encoder(kind: str, c_in: int, width: int, dropout: float) -> nn.Module:
    if kind == "cnn":
        return CNNEncoder(c_in, width, dropout)
    if kind in ("gru", "lstm"):
        return RNNEncoder(c_in, kind, width, dropout)
    if kind == "transformer":
        return TransformerEncoder(c_in, width, dropout=dropout)
    raise ValueError(f"unknown architecture {kind!r}; choose from {', '.join(ENCODERS)}")


class Heads(nn.Module):
    def __init__(self, dim: int, dropout: float):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.scores = nn.Linear(dim, N_OUT)
        self.grades = nn.Linear(dim, N_OUT)
        nn.init.normal_(self.scores.weight, std=0.01)
        nn.init.constant_(self.scores.bias, 0.5)        # start at 75 / 100, the corpus's typical score

    def forward(self, h):
        h = self.drop(h)
        return 50.0 + 50.0 * self.scores(h), self.grades(h)


# ---------------------------------------------------------------- fusions

class WindowModel(nn.Module):
    """(B, 60, 72) raw window → scores (B,5), grade_logits (B,5)."""

    def __init__(self, arch: str, fusion: str, width: int = 48, dropout: float = 0.1,
                 mean: torch.Tensor | None = None, std: torch.Tensor | None = None):
        super().__init__()
        if fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {fusion!r}; choose from {', '.join(FUSIONS)}")
        self.arch, self.fusion, self.width, self.dropout = arch, fusion, width, dropout
        self.inputs = InputLayer(mean, std)
        if fusion == "early":
            self.encoder = make_encoder(arch, POSE_IN + AUDIO_IN, width, dropout)
            self.heads = Heads(self.encoder.pooled_dim, dropout)
        else:
            half = max(16, (width * 2) // 3 // 4 * 4)
            self.pose_encoder = make_encoder(arch, POSE_IN, half, dropout)
            self.audio_encoder = make_encoder(arch, AUDIO_IN, half, dropout)
            if fusion == "late":
                self.pose_heads = Heads(self.pose_encoder.pooled_dim, dropout)
                self.audio_heads = Heads(self.audio_encoder.pooled_dim, dropout)
                self.mix = nn.Parameter(torch.zeros(2 * N_OUT))
            else:
                self.gate = nn.Linear(2 * half, half)
                self.attend = nn.Sequential(nn.Linear(half, half), nn.Tanh(), nn.Linear(half, 1))
                self.heads = Heads(2 * half, dropout)
        self.last_attention: torch.Tensor | None = None     # (B, T) time weights, where the model has them

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scores, logits, self.last_attention = self.outputs(x)
        return scores, logits

    def outputs(self, x: torch.Tensor):
        """scores (B, 5), grade logits (B, 5), attention over the frames (B, 60) or None."""
        pose, audio = self.inputs(x)
        present = x[..., PRESENT]                            # (B, T) raw 0/1
        if self.fusion == "early":
            h, attention = self.encoder.encode(torch.cat([pose, audio], dim=-1))
            return *self.heads(h), attention
        if self.fusion == "late":
            hp, att_p = self.pose_encoder.encode(pose)
            ha, att_a = self.audio_encoder.encode(audio)
            sp, gp = self.pose_heads(hp)
            sa, ga = self.audio_heads(ha)
            share = present.mean(dim=1, keepdim=True)        # (B, 1) person-present share of the window
            w = torch.sigmoid(self.mix)[None, :] * share     # (B, 10)
            attention = None if att_p is None else share * att_p + (1 - share) * att_a
            return (w[:, :N_OUT] * sp + (1 - w[:, :N_OUT]) * sa,
                    w[:, N_OUT:] * gp + (1 - w[:, N_OUT:]) * ga, attention)
        hp = self.pose_encoder.sequence(pose)
        ha = self.audio_encoder.sequence(audio)
        step_present = present.reshape(present.shape[0], hp.shape[1], -1).amin(dim=-1)
        g = torch.sigmoid(self.gate(torch.cat([hp, ha], dim=-1))) * step_present[..., None]
        fused = g * hp + (1 - g) * ha                        # (B, steps, d)
        a = torch.softmax(self.attend(fused).squeeze(-1), dim=1)   # (B, steps)
        pooled = torch.cat([(a[..., None] * fused).sum(dim=1), fused.mean(dim=1)], dim=-1)
        steps = a.shape[1]
        return *self.heads(pooled), frames_of_steps(a, x.shape[1] // steps) * steps / x.shape[1]

    def config(self) -> dict:
        return {"arch": self.arch, "fusion": self.fusion, "width": self.width, "dropout": self.dropout}


class ExportWrapper(nn.Module):
    """What goes to ONNX/TFLite: named outputs; Transformers and hybrids add `attention` (B, 60)."""

    def __init__(self, model: WindowModel):
        super().__init__()
        self.model = model.eval()
        self.with_attention = model.fusion == "hybrid" or model.arch == "transformer"

    def forward(self, window: torch.Tensor):
        scores, logits, attention = self.model.outputs(window)
        if self.with_attention:
            return scores, logits, attention
        return scores, logits


def n_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def model_key(arch: str, fusion: str) -> str:
    """'gru' for the early-fusion GRU (the paper's main comparison), 'gru_late', 'gru_hybrid' otherwise."""
    return arch if fusion == "early" else f"{arch}_{fusion}"


def parse_key(key: str) -> tuple[str, str]:
    arch, _, fusion = key.partition("_")
    return arch, fusion or "early"
