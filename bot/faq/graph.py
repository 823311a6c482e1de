"""The sentence model's graph, rewritten once at load so its weights are multiplied as int8.

The shipped all-MiniLM-L6-v2 keeps every weight as int8 with a float scale per column, and
its graph turns them back into float (Cast, Mul) before each MatMul. ONNX Runtime folds
that into float weights at load, so every MatMul ran in float32 over 4-byte weights: most
of the time of a question and of an index build. Here each such
MatMul becomes two 8-bit MatMuls (ONNX Runtime's `MatMulIntegerToFloat`, weights shifted
to uint8 so the product is exact on every CPU): one on the activations rounded to 8 bits, one on what that
rounding left over, so the activations keep about 16 bits. One 8-bit pass alone was 2.4x
faster but moved vectors to a cosine of 0.96-0.99 of the float graph's, enough to shift
the FAQ thresholds; two passes stay above 0.99999. Embedding tables are looked up in int8
and scaled after the lookup (the same float product) instead of being kept as a 47 MB
float copy.

The rewrite works on the protobuf wire format, so the `onnx` package (and its protobuf
runtime) is not a dependency: only node lists change; weights are copied through untouched.
It is applied to the bytes whose SHA-256 was checked, never to another file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

MICROSOFT = "com.microsoft"
"""The domain of ONNX Runtime's own operators (`MatMulIntegerToFloat`)."""

_VARINT, _LENGTH = 0, 2
_MODEL_GRAPH, _MODEL_OPSET = 7, 8
_GRAPH_NODE, _GRAPH_INITIALIZER, _GRAPH_OUTPUT = 1, 5, 12
_NODE_INPUT, _NODE_OUTPUT, _NODE_NAME, _NODE_OP_TYPE, _NODE_DOMAIN = 1, 2, 3, 4, 7
_TENSOR_DIMS, _TENSOR_TYPE, _TENSOR_NAME, _TENSOR_RAW = 1, 2, 8, 9
_FLOAT, _UINT8, _INT8, _INT32 = 1, 2, 3, 6


@dataclass(frozen=True)
class _Field:
    number: int
    value: memoryview | int
    encoded: memoryview
    """The whole field as it was in the file, to copy it through unchanged."""

    @property
    def payload(self) -> memoryview:
        assert isinstance(self.value, memoryview), f"field {self.number} is not length-delimited"
        return self.value

    @property
    def text(self) -> str:
        return bytes(self.payload).decode("utf-8")


def _read_varint(data: memoryview, position: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7


def _fields(data: memoryview) -> list[_Field]:
    """One message's fields, in file order (nested messages are left as bytes)."""
    fields: list[_Field] = []
    position = 0
    while position < len(data):
        start = position
        key, position = _read_varint(data, position)
        number, wire = key >> 3, key & 7
        value: memoryview | int
        if wire == _VARINT:
            value, position = _read_varint(data, position)
        elif wire == _LENGTH:
            size, position = _read_varint(data, position)
            value, position = data[position : position + size], position + size
        elif wire in (1, 5):  # fixed 64 or 32 bits
            size = 8 if wire == 1 else 4
            value, position = data[position : position + size], position + size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        fields.append(_Field(number, value, data[start:position]))
    return fields


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _length_field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | _LENGTH) + _varint(len(payload)) + payload


def _text_fields(number: int, texts: Iterable[str]) -> bytes:
    return b"".join(_length_field(number, text.encode("utf-8")) for text in texts)


@dataclass
class _Node:
    op_type: str
    inputs: list[str]
    outputs: list[str]
    domain: str = ""
    rest: bytes = b""
    """Attributes and doc string, as encoded in the file."""
    name: str = ""

    @classmethod
    def parse(cls, data: memoryview) -> _Node:
        node = cls("", [], [])
        rest = bytearray()
        for item in _fields(data):
            if item.number == _NODE_INPUT:
                node.inputs.append(item.text)
            elif item.number == _NODE_OUTPUT:
                node.outputs.append(item.text)
            elif item.number == _NODE_OP_TYPE:
                node.op_type = item.text
            elif item.number == _NODE_DOMAIN:
                node.domain = item.text
            elif item.number == _NODE_NAME:
                node.name = item.text
            else:
                rest += item.encoded
        node.rest = bytes(rest)
        return node

    def encode(self) -> bytes:
        body = _text_fields(_NODE_INPUT, self.inputs) + _text_fields(_NODE_OUTPUT, self.outputs)
        body += _text_fields(_NODE_OP_TYPE, [self.op_type]) + self.rest
        if self.name:
            body += _text_fields(_NODE_NAME, [self.name])
        if self.domain:
            body += _text_fields(_NODE_DOMAIN, [self.domain])
        return _length_field(_GRAPH_NODE, body)


@dataclass(frozen=True)
class _Tensor:
    data_type: int
    dims: tuple[int, ...]


def _tensor(data: memoryview) -> tuple[str, _Tensor]:
    name, data_type, dims = "", 0, []
    for item in _fields(data):
        if item.number == _TENSOR_NAME:
            name = item.text
        elif item.number == _TENSOR_TYPE and isinstance(item.value, int):
            data_type = item.value
        elif item.number == _TENSOR_DIMS:
            if isinstance(item.value, int):
                dims.append(item.value)
            else:  # packed
                position = 0
                while position < len(item.value):
                    dim, position = _read_varint(item.value, position)
                    dims.append(dim)
    return name, _Tensor(data_type, tuple(dims))


@dataclass(frozen=True)
class _Dequantized:
    """A float weight the graph computes as Cast(int8 tensor) * scale."""

    int8: str
    scale: str
    int8_dims: tuple[int, ...]
    scale_dims: tuple[int, ...]

    @property
    def per_column(self) -> bool:
        return len(self.int8_dims) == 2 and self.scale_dims in ((self.int8_dims[1],), (1, self.int8_dims[1]))

    @property
    def per_row(self) -> bool:
        return len(self.int8_dims) == 2 and self.scale_dims == (self.int8_dims[0], 1)


@dataclass
class _Rewrite:
    nodes: list[_Node]
    tensors: dict[str, _Tensor]
    graph_outputs: set[str]
    split: set[str] = field(default_factory=set)
    """Activations already split into an 8-bit part and its rounding error."""
    shifted: set[str] = field(default_factory=set)
    """Weights already shifted into uint8."""

    def dequantized(self) -> dict[str, _Dequantized]:
        producer = {output: node for node in self.nodes for output in node.outputs}
        found: dict[str, _Dequantized] = {}
        for node in self.nodes:
            if node.op_type != "Mul" or len(node.inputs) != 2 or node.inputs[1] not in self.tensors:
                continue
            cast = producer.get(node.inputs[0])
            if cast is None or cast.op_type != "Cast" or cast.inputs[0] not in self.tensors:
                continue
            weights, scale = self.tensors[cast.inputs[0]], self.tensors[node.inputs[1]]
            if weights.data_type == _INT8:
                found[node.outputs[0]] = _Dequantized(
                    cast.inputs[0], node.inputs[1], weights.dims, scale.dims
                )
        return found

    def run(self) -> int:
        """Rewrites the node list; returns how many weight MatMuls now run in int8."""
        weights = self.dequantized()
        rewritten: list[_Node] = []
        count = 0
        for node in self.nodes:
            if node.op_type == "MatMul" and node.inputs[1] in weights and weights[node.inputs[1]].per_column:
                rewritten += self._two_int8_passes(node, weights[node.inputs[1]])
                count += 1
            elif node.op_type == "Gather" and node.inputs[0] in weights and weights[node.inputs[0]].per_row:
                rewritten += self._int8_lookup(node, weights[node.inputs[0]])
            else:
                rewritten.append(node)
        self.nodes = _without_unread(rewritten, self.graph_outputs)
        return count

    def _two_int8_passes(self, matmul: _Node, weight: _Dequantized) -> list[_Node]:
        activations, name = matmul.inputs[0], matmul.outputs[0]
        coarse, error = f"{activations}~8bit", f"{activations}~error"
        added: list[_Node] = []
        if activations not in self.split:  # Q, K and V share one input: split it once
            self.split.add(activations)
            coarse_parts = [f"{coarse}", f"{coarse}_scale", f"{coarse}_zero"]
            added += [
                _Node("DynamicQuantizeLinear", [activations], coarse_parts),
                _Node("DequantizeLinear", coarse_parts, [f"{coarse}_float"]),
                _Node("Sub", [activations, f"{coarse}_float"], [f"{error}_float"]),
                _Node(
                    "DynamicQuantizeLinear", [f"{error}_float"], [error, f"{error}_scale", f"{error}_zero"]
                ),
            ]
        unsigned = self._unsigned(weight.int8, added)
        for part in (coarse, error):
            inputs = [part, unsigned, f"{part}_scale", weight.scale, f"{part}_zero", _ZERO_AT_128]
            added.append(_Node("MatMulIntegerToFloat", inputs, [f"{name}~{part}"], MICROSOFT))
        added.append(_Node("Add", [f"{name}~{coarse}", f"{name}~{error}"], [name]))
        return added

    def _unsigned(self, int8: str, added: list[_Node]) -> str:
        """The weight shifted into uint8 (zero point 128), made once per weight.

        ONNX Runtime multiplies uint8 by int8 on AVX2 CPUs without VNNI with an instruction
        that saturates pairs of products at 16 bits, which moved vectors to a cosine of 0.994;
        uint8 by uint8 is exact on every CPU. The shift runs on initializers only, so ONNX
        Runtime folds it into a constant when the session loads.
        """
        unsigned = f"{int8}~uint8"
        if unsigned not in self.shifted:
            self.shifted.add(unsigned)
            added += [
                _Node("Cast", [int8], [f"{int8}~int32"], rest=_cast_to(_INT32)),
                _Node("Add", [f"{int8}~int32", _SHIFT_BY_128], [f"{int8}~shifted"]),
                _Node("Cast", [f"{int8}~shifted"], [unsigned], rest=_cast_to(_UINT8)),
            ]
        return unsigned

    @staticmethod
    def _int8_lookup(gather: _Node, table: _Dequantized) -> list[_Node]:
        rows, name = gather.inputs[1], gather.outputs[0]
        cast_to_float = _Node("Cast", [f"{name}~int8"], [f"{name}~float"], rest=_cast_to(_FLOAT))
        return [
            _Node("Gather", [table.int8, rows], [f"{name}~int8"], rest=gather.rest),
            _Node("Gather", [table.scale, rows], [f"{name}~scale"], rest=gather.rest),
            cast_to_float,
            _Node("Mul", [f"{name}~float", f"{name}~scale"], [name]),
        ]


def _cast_to(data_type: int) -> bytes:
    """A Cast node's attribute `to` (AttributeProto: name, i, type INT)."""
    return _length_field(
        5,
        _text_fields(1, ["to"])
        + _varint(3 << 3 | _VARINT)
        + _varint(data_type)
        + _varint(20 << 3 | _VARINT)
        + _varint(2),
    )


def _scalar(name: str, data_type: int, raw: bytes) -> bytes:
    """An initializer holding one number (TensorProto: data_type, name, raw_data)."""
    body = _varint(_TENSOR_TYPE << 3 | _VARINT) + _varint(data_type)
    body += _text_fields(_TENSOR_NAME, [name]) + _length_field(_TENSOR_RAW, raw)
    return _length_field(_GRAPH_INITIALIZER, body)


_SHIFT_BY_128, _ZERO_AT_128 = "lessonloop~128_int32", "lessonloop~128_uint8"
_CONSTANTS = _scalar(_SHIFT_BY_128, _INT32, (128).to_bytes(4, "little")) + _scalar(
    _ZERO_AT_128, _UINT8, bytes([128])
)


def _without_unread(nodes: list[_Node], graph_outputs: set[str]) -> list[_Node]:
    """Drops nodes nothing reads any more (the Cast/Mul pairs that made float weights)."""
    while True:
        read = graph_outputs | {name for node in nodes for name in node.inputs}
        kept = [node for node in nodes if any(output in read for output in node.outputs)]
        if len(kept) == len(nodes):
            return kept
        nodes = kept


def rewrite(model: bytes) -> tuple[bytes, int]:
    """The model with its dequantized-weight MatMuls run in int8, and how many were rewritten."""
    top = _fields(memoryview(model))
    graph_field = next(item for item in top if item.number == _MODEL_GRAPH)
    graph = _fields(graph_field.payload)
    tensors = dict(_tensor(item.payload) for item in graph if item.number == _GRAPH_INITIALIZER)
    outputs = {
        part.text
        for item in graph
        if item.number == _GRAPH_OUTPUT
        for part in _fields(item.payload)
        if part.number == 1
    }
    work = _Rewrite(
        [_Node.parse(item.payload) for item in graph if item.number == _GRAPH_NODE], tensors, outputs
    )
    count = work.run()
    body = bytearray()
    nodes_written = False
    for item in graph:
        if item.number != _GRAPH_NODE:
            body += item.encoded
        elif not nodes_written:
            body += b"".join(node.encode() for node in work.nodes)
            nodes_written = True
    body += _CONSTANTS
    opset = _text_fields(1, [MICROSOFT]) + _varint(2 << 3 | _VARINT) + _varint(1)
    out = bytearray()
    for item in top:
        out += _length_field(_MODEL_GRAPH, bytes(body)) if item.number == _MODEL_GRAPH else item.encoded
    out += _length_field(_MODEL_OPSET, opset)
    return bytes(out), count
