"""Recurrent layers restructured so that every weight sits in a plain matrix product, which int8 can hold.

ONNX's GRU op stays fp32 under onnxruntime's quantisation (static and dynamic) and LSTM becomes a
dynamic-only op; litert-torch's full-integer conversion of a GRU fails (FACTS). The same cells written
out — the input projection of all steps in one matrix product, then the 30 recurrent steps (PATCH = 2
frames a step, 60 frames) each one small matrix product and the gate arithmetic — compute exactly what
torch's nn.GRU / nn.LSTM compute (checked on export, max |Δ| ~1e-6) and quantise like any Linear.

`unrolled_copy(model)` returns a deep copy of a WindowModel whose GRU/LSTM layers are replaced; the
original model stays the reference the parity is measured against.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


def _gate_linears(rnn: nn.RNNBase) -> tuple[int, nn.Linear, nn.Linear]:
    """(hidden size, input->gates, hidden->gates) Linear layers holding a one-layer RNN's weights."""
    h, gates = rnn.hidden_size, rnn.weight_ih_l0.shape[0]
    inp, rec = nn.Linear(rnn.input_size, gates), nn.Linear(h, gates)
    with torch.no_grad():
        inp.weight.copy_(rnn.weight_ih_l0)
        inp.bias.copy_(rnn.bias_ih_l0)
        rec.weight.copy_(rnn.weight_hh_l0)
        rec.bias.copy_(rnn.bias_hh_l0)
    return h, inp, rec


class UnrolledGRU(nn.Module):
    """nn.GRU(batch_first=True, one layer) with the same weights, steps written out."""

    def __init__(self, gru: nn.GRU):
        super().__init__()
        if gru.num_layers != 1 or gru.bidirectional or not gru.batch_first:
            raise ValueError("only one-layer, unidirectional, batch-first GRUs are restructured")
        self.hidden, self.inp, self.rec = _gate_linears(gru)

    def forward(self, x: torch.Tensor):
        b, t, _ = x.shape
        h = self.hidden
        gi = self.inp(x)                                     # (B, T, 3H): every step's input part at once
        state = torch.zeros(b, h, dtype=x.dtype)
        out = []
        for k in range(t):
            gh = self.rec(state)
            i_r, i_z, i_n = gi[:, k, :h], gi[:, k, h:2 * h], gi[:, k, 2 * h:]
            r = torch.sigmoid(i_r + gh[:, :h])
            z = torch.sigmoid(i_z + gh[:, h:2 * h])
            n = torch.tanh(i_n + r * gh[:, 2 * h:])
            state = (1 - z) * n + z * state
            out.append(state)
        return torch.stack(out, dim=1), state[None]


class UnrolledLSTM(nn.Module):
    """nn.LSTM(batch_first=True, one layer) with the same weights, steps written out."""

    def __init__(self, lstm: nn.LSTM):
        super().__init__()
        if lstm.num_layers != 1 or lstm.bidirectional or not lstm.batch_first or lstm.proj_size:
            raise ValueError("only one-layer, unidirectional, batch-first LSTMs are restructured")
        self.hidden, self.inp, self.rec = _gate_linears(lstm)

    def forward(self, x: torch.Tensor):
        b, t, _ = x.shape
        h = self.hidden
        gi = self.inp(x)
        state = torch.zeros(b, h, dtype=x.dtype)
        cell = torch.zeros(b, h, dtype=x.dtype)
        out = []
        for k in range(t):
            g = gi[:, k] + self.rec(state)
            i = torch.sigmoid(g[:, :h])
            f = torch.sigmoid(g[:, h:2 * h])
            c = torch.tanh(g[:, 2 * h:3 * h])
            o = torch.sigmoid(g[:, 3 * h:])
            cell = f * cell + i * c
            state = o * torch.tanh(cell)
            out.append(state)
        return torch.stack(out, dim=1), (state[None], cell[None])


def unrolled_copy(model: nn.Module) -> tuple[nn.Module, int]:
    """(a copy of `model` with every nn.GRU / nn.LSTM written out, how many were replaced)."""
    model = copy.deepcopy(model).eval()
    replaced = 0
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, nn.GRU):
                setattr(module, name, UnrolledGRU(child))
                replaced += 1
            elif isinstance(child, nn.LSTM):
                setattr(module, name, UnrolledLSTM(child))
                replaced += 1
    return model, replaced
