// Data and metadata out of a tensor: bytes for data()/tolist(), item(), shape, dtype, device.
#include "boundary.h"
#include "registrars.h"

namespace {

Napi::Array intArray(Napi::Env env, c10::IntArrayRef values) {
  Napi::Array arr = Napi::Array::New(env, values.size());
  for (size_t k = 0; k < values.size(); k++) arr.Set(static_cast<uint32_t>(k), Napi::Number::New(env, static_cast<double>(values[k])));
  return arr;
}

// A copy of t's elements, row-major in its own dtype, in a new ArrayBuffer.
Napi::ArrayBuffer bytesOf(Napi::Env env, const at::Tensor& tensor) {
  at::Tensor t = tensor.to(at::kCPU).contiguous();
  size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, bytes);
  if (bytes) std::memcpy(buf.Data(), t.data_ptr(), bytes);
  return buf;
}

// toBuffer(h): a copy of the elements as an ArrayBuffer, row-major. float16 and bfloat16 come
// out as float32 (JS has no such arrays); bool comes out as one byte per element.
TT_BINDING(toBuffer) {
  at::Tensor t = a.tensor(0).detach();
  if (t.is_complex()) throw std::invalid_argument("complex tensors have no data() form yet");
  if (t.scalar_type() == at::kHalf || t.scalar_type() == at::kBFloat16) t = t.to(at::kFloat);
  return bytesOf(a.env(), t);
}

// toBytes(h): the raw little-endian bytes of each element in its own dtype (float16 as 2 bytes,
// bool as 1), row-major: what file formats (safetensors, torch.save) store.
TT_BINDING(toBytes) { return bytesOf(a.env(), a.tensor(0).detach()); }

// fromBytes(uint8Array, dtype, shape): a tensor of `dtype` whose elements are those raw bytes.
TT_BINDING(fromBytes) {
  if (a.size() < 1 || !a[0].IsTypedArray() || a[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    a.typeError(0, "a Uint8Array of raw element bytes");
  Napi::Uint8Array arr = a[0].As<Napi::Uint8Array>();
  at::ScalarType dtype = a.dtype(1);
  std::vector<int64_t> shape = a.sizes(2);
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  size_t expected = static_cast<size_t>(count) * c10::elementSize(dtype);
  if (expected != arr.ByteLength())
    a.rangeError(0, "holds " + std::to_string(arr.ByteLength()) + " bytes, but " + std::to_string(count) + " elements of " +
                        c10::toString(dtype) + " need " + std::to_string(expected));
  at::Tensor out = at::empty(shape, at::TensorOptions().dtype(dtype));
  if (expected) std::memcpy(out.data_ptr(), arr.Data(), expected);
  if (dtype == at::kBool) out = out.view(at::kByte).ne(0);  // only 0/1 bytes are valid bools
  return a.ret(out);
}

// item(h): the single value, as a number (or boolean for bool tensors).
TT_BINDING(item) {
  const at::Tensor& t = a.tensor(0);
  if (t.numel() != 1)
    throw std::invalid_argument("a Tensor with " + std::to_string(t.numel()) + " elements cannot be converted to a number; "
                                "item() needs exactly one element");
  c10::Scalar s = t.item();
  if (s.isBoolean()) return Napi::Boolean::New(a.env(), s.toBool());
  if (s.isIntegral(false)) {
    int64_t v = s.toLong();
    // Beyond 2^53 a JS number would round (silently, to another integer).
    if (v > (int64_t(1) << 53) || v < -(int64_t(1) << 53))
      throw tt::ArgError(tt::ArgError::Range, "item: the value " + std::to_string(v) +
                                                  " is beyond 2^53, where a JavaScript number cannot hold it exactly; read it with itemBigInt()");
    return Napi::Number::New(a.env(), static_cast<double>(v));
  }
  return Napi::Number::New(a.env(), s.toDouble());
}

// itemBigInt(h): an int64 value without the loss of going through a double.
TT_BINDING(itemBigInt) {
  const at::Tensor& t = a.tensor(0);
  if (t.numel() != 1) throw std::invalid_argument("itemBigInt() needs exactly one element");
  return Napi::BigInt::New(a.env(), t.item().toLong());
}

TT_BINDING(shape) { return intArray(a.env(), a.tensor(0).sizes()); }
TT_BINDING(strides) { return intArray(a.env(), a.tensor(0).strides()); }
TT_BINDING(dim) { return Napi::Number::New(a.env(), static_cast<double>(a.tensor(0).dim())); }
TT_BINDING(numel) { return Napi::Number::New(a.env(), static_cast<double>(a.tensor(0).numel())); }
TT_BINDING(dtype) { return Napi::Number::New(a.env(), static_cast<int>(a.tensor(0).scalar_type())); }
TT_BINDING(device) { return Napi::String::New(a.env(), a.tensor(0).device().str()); }
TT_BINDING(isContiguous) { return Napi::Boolean::New(a.env(), a.tensor(0).is_contiguous()); }
TT_BINDING(storageOffset) { return Napi::Number::New(a.env(), static_cast<double>(a.tensor(0).storage_offset())); }
TT_BINDING(elementSize) { return Napi::Number::New(a.env(), static_cast<double>(a.tensor(0).element_size())); }

// sameStorage(h1, h2): whether two tensors view the same memory (for tests of view semantics).
TT_BINDING(sameStorage) {
  const at::Tensor& x = a.tensor(0);
  const at::Tensor& y = a.tensor(1);
  return Napi::Boolean::New(a.env(), x.has_storage() && y.has_storage() && x.storage().is_alias_of(y.storage()));
}

}  // namespace

namespace tt {
void registerTensorData(Napi::Env, Napi::Object e) {
  TT_EXPORT(e, toBuffer);
  TT_EXPORT(e, toBytes);
  TT_EXPORT(e, fromBytes);
  TT_EXPORT(e, item);
  TT_EXPORT(e, itemBigInt);
  TT_EXPORT(e, shape);
  TT_EXPORT(e, strides);
  TT_EXPORT(e, dim);
  TT_EXPORT(e, numel);
  TT_EXPORT(e, dtype);
  TT_EXPORT(e, device);
  TT_EXPORT(e, isContiguous);
  TT_EXPORT(e, storageOffset);
  TT_EXPORT(e, elementSize);
  TT_EXPORT(e, sameStorage);
}
}  // namespace tt
