/**
 * Export a gradlab model as a Python file that defines the same `torch.nn.Sequential` and
 * loads the weights from the .safetensors file (by path; nothing is embedded).
 *
 * The reader uses only `struct`, `json` and `torch` — torch 1.13 has no safetensors module and
 * the `safetensors` package may not be installed. State-dict keys are PyTorch's already, so
 * `model.load_state_dict(load_safetensors(path))` loads them unchanged (strict).
 *
 * Activation correspondences (gradlab registry name → torch module):
 *   linear → Identity, relu → ReLU, leakyRelu → LeakyReLU(0.01), prelu → PReLU(1, 0.25),
 *   elu → ELU(1.0), selu → SELU, sigmoid → Sigmoid, tanh → Tanh, gelu → GELU (exact erf form,
 *   torch's default approximate='none'), silu → SiLU, softplus → Softplus (β = 1, threshold 20).
 */
import type { ActivationName } from '../activations.js';
import { getActivation } from '../activations.js';
import type { ModelSpec } from '../models.js';
import { archShapes, torchLayer } from '../arch.js';
import { describeSpec, fullArch, layerActivation, layerBatchnorm, validateSpec } from '../models.js';
import type { DataInfo } from './model.js';

function torchActivation(name: ActivationName): string {
  const p = getActivation(name).defaultParam;
  switch (name) {
    case 'linear':
      return 'nn.Identity()';
    case 'relu':
      return 'nn.ReLU()';
    case 'leakyRelu':
      return `nn.LeakyReLU(negative_slope=${py(p)})`;
    case 'prelu':
      return `nn.PReLU(num_parameters=1, init=${py(p)})`;
    case 'elu':
      return `nn.ELU(alpha=${py(p)})`;
    case 'selu':
      return 'nn.SELU()';
    case 'sigmoid':
      return 'nn.Sigmoid()';
    case 'tanh':
      return 'nn.Tanh()';
    case 'gelu':
      return 'nn.GELU()';
    case 'silu':
      return 'nn.SiLU()';
    case 'softplus':
      return 'nn.Softplus()';
    case 'softmax':
      return 'nn.Softmax(dim=-1)';
  }
}

/** A number as a Python literal (repr-exact for doubles). */
export function py(v: number): string {
  if (Number.isNaN(v)) return "float('nan')";
  if (!Number.isFinite(v)) return v > 0 ? "float('inf')" : "-float('inf')";
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/**
 * A Python string literal holding exactly `s`, in plain ASCII: `\`, `"` and every character
 * outside printable ASCII are escaped (\n, \uXXXX, \UXXXXXXXX for code points beyond the BMP;
 * a lone surrogate stays one \uXXXX), so no name or path — quotes, triple quotes, `\U`,
 * newlines, terminal escapes — can end the literal or fail to parse. Python reads these escapes
 * as JSON does, except astral code points, which JSON would write as a surrogate pair.
 */
export function pyStr(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out + '"';
}

export interface ExportOptions {
  /** The weights path written into the script (relative paths resolve against the script's directory). */
  weightsPath: string;
  data?: DataInfo;
  /** Shown in the module docstring. */
  source?: string;
}

/** The torch layer expressions of the spec's Sequential, in order. */
export function torchLayers(spec: ModelSpec): string[] {
  const s = validateSpec(spec);
  const out: string[] = [];
  if (s.arch) {
    const { layers, inShape } = fullArch(s);
    const shapes = archShapes(layers, inShape);
    if (inShape.length > 1) out.push(`nn.Unflatten(1, (${inShape.join(', ')}))`);
    layers.forEach((l, i) => out.push(torchLayer(l, shapes[i], torchActivation)));
    return out;
  }
  let inp = s.inputs;
  s.layers.forEach((w, h) => {
    out.push(`nn.Linear(${inp}, ${w})`);
    if (layerBatchnorm(s, h)) out.push(`nn.BatchNorm1d(${w}, eps=1e-05, momentum=0.1)`);
    out.push(torchActivation(layerActivation(s, h)));
    if (s.dropout > 0) out.push(`nn.Dropout(p=${py(s.dropout)})`);
    inp = w;
  });
  out.push(`nn.Linear(${inp}, ${s.outputs})`);
  return out;
}

/**
 * The Python class of gradlab's nn.BasicBlock (torchvision's basic block, the same state-dict
 * keys) that `torchLayer` names for a residual layer: every generated script that builds a
 * layer list includes it.
 */
export const TORCH_BASIC_BLOCK = `class BasicBlock(nn.Module):
    \"\"\"ResNet's basic block as torchvision's (gradlab's nn.BasicBlock, the same keys).\"\"\"

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)`;

/** The Python source. */
export function exportPytorch(spec: ModelSpec, options: ExportOptions): string {
  const s = validateSpec(spec);
  const layers = torchLayers(s)
    .map((l, i) => `        ${l},  # ${i}`)
    .join('\n');
  const scaler = options.data?.scaler;
  const classNames = options.data?.classNames;
  const featureNames = options.data?.featureNames;
  const output = s.output === 'softmax' ? 'torch.softmax(logits, dim=-1)' : s.output === 'sigmoid' ? 'torch.sigmoid(logits)' : 'logits';
  // Nothing from the model file or its path is written into the docstring or a comment: only
  // into string literals made by pyStr.
  return `"""PyTorch definition of a gradlab model${options.source !== undefined ? ' exported from the file named in SOURCE' : ''}.

Architecture: ${describeSpec(s).replace(/→/g, '->')}.

    model = load_model()            # torch.nn.Sequential in eval mode, weights loaded
    probs = predict(model, x)       # x: float tensor [N, ${s.inputs}] of raw features

The weights are read from the .safetensors file with struct/json/torch only (no
safetensors package needed). Generated by \`gradlab export --pytorch\`.
"""
import json
import os
import struct
import sys

import torch
import torch.nn as nn

${options.source !== undefined ? `SOURCE = ${pyStr(options.source)}\n` : ''}WEIGHTS = ${pyStr(options.weightsPath)}
INPUTS = ${s.inputs}
OUTPUTS = ${s.outputs}
CLASS_NAMES = ${classNames ? `[${classNames.map(pyStr).join(', ')}]` : 'None'}
FEATURE_NAMES = ${featureNames ? `[${featureNames.map(pyStr).join(', ')}]` : 'None'}
# Feature scaling fitted on the training data: x' = (x - offset) / scale (None: inputs used as given).
SCALER = ${scaler ? `{"offset": [${scaler.offset.map(py).join(', ')}], "scale": [${scaler.scale.map(py).join(', ')}]}` : 'None'}

_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool,
}


${TORCH_BASIC_BLOCK}


def build_model():
    """The network, freshly initialised (call load_model() for the trained weights)."""
    return nn.Sequential(
${layers}
    )


def load_safetensors(path):
    """Read a .safetensors file into a dict of tensors (little-endian host assumed)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short to be a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise ValueError(f"{path}: header length {n} exceeds the file")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = _DTYPES[info["dtype"]]
        if end > begin:
            t = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype)
        else:
            t = torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(info["shape"]).clone()
    return tensors


def load_model(path=None):
    """build_model() with the trained weights, in eval mode."""
    if path is None:
        path = WEIGHTS if os.path.isabs(WEIGHTS) else os.path.join(os.path.dirname(os.path.abspath(__file__)), WEIGHTS)
    model = build_model()
    state = {k: v for k, v in load_safetensors(path).items() if not k.startswith("optimizer.")}
    model.load_state_dict(state, strict=True)
    model.eval()
    return model


def preprocess(x):
    x = torch.as_tensor(x, dtype=torch.float32).reshape(-1, INPUTS)
    if SCALER is not None:
        x = (x - torch.tensor(SCALER["offset"])) / torch.tensor(SCALER["scale"])
    return x


@torch.no_grad()
def predict(model, x):
    """Outputs for raw inputs x [N, INPUTS]: ${s.output === 'softmax' ? 'class probabilities' : s.output === 'sigmoid' ? 'probabilities' : 'predicted values'}."""
    logits = model(preprocess(x))
    return ${output}


if __name__ == "__main__":
    m = load_model(sys.argv[1] if len(sys.argv) > 1 else None)
    print(m)
    print(f"{sum(p.numel() for p in m.parameters())} parameters loaded")
`;
}
