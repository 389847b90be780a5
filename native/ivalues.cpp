#include "ivalues.h"

#include <algorithm>
#include <cerrno>

namespace tt {

namespace {

using K = c10::TypeKind;
constexpr double kMaxSafeInteger = 9007199254740992.0;  // 2^53: beyond it an int comes back as a bigint

bool isTagged(const Napi::Value& v, const char* kind) {
  if (!v.IsObject() || v.IsArray()) return false;
  Napi::Value k = v.As<Napi::Object>().Get("kind");
  return k.IsString() && k.As<Napi::String>().Utf8Value() == kind;
}

// kindOf, naming the tag of a tagged value ("a tensor", "a dict").
std::string describe(const Napi::Value& v) {
  if (v.Type() == napi_object && !v.IsArray()) {
    Napi::Value kind = v.As<Napi::Object>().Get("kind");
    if (kind.IsString()) return "a " + kind.As<Napi::String>().Utf8Value();
  }
  return kindOf(v);
}

}  // namespace

std::string ValuePath::str() const {
  std::string out;
  if (!parent_) {
    out.append(fn_.data(), fn_.size()).append(": argument '").append(argument_.data(), argument_.size()).append("'");
    return out;
  }
  out = parent_->str();
  if (suffix_.empty()) out.append("[").append(std::to_string(index_)).append("]");
  else out.append(suffix_);
  return out;
}

// Operators are known by their schema text (int[], Tensor?), TorchScript methods by Python's
// annotations (List[int], Optional[Tensor]).
std::string IValueConverter::typeName(const c10::TypePtr& type) const {
  return form_ == TensorForm::Handle ? type->str() : type->annotation_str();
}

void IValueConverter::bad(const ValuePath& where, const c10::TypePtr& type, const std::string& expected, const Napi::Value& v) const {
  throw ArgError(ArgError::Type, where.str() + " (" + typeName(type) + ") must be " + expected + ", got " + describe(v));
}

at::Tensor IValueConverter::tensor(const Napi::Value& v, const c10::TypePtr& type, const ValuePath& where) const {
  int32_t handle = -1;
  if (form_ == TensorForm::Tagged) {
    if (!isTagged(v, "tensor")) bad(where, type, "a Tensor", v);
    exactHandle(v.As<Napi::Object>().Get("handle"), &handle);
  } else if (!exactHandle(v, &handle)) {
    bad(where, type, "a Tensor", v);
  }
  const at::Tensor* t = findTensor(s_, handle);
  if (!t) throw ArgError(ArgError::Type, where.str() + " is a disposed Tensor (freed by dispose() or by the end of its torch.scope)");
  return *t;
}

int64_t IValueConverter::int64(const Napi::Value& v, const c10::TypePtr& type, const ValuePath& where) const {
  int64_t out;
  IntRead read = readInt64(v, &out);
  if (read != IntRead::Ok) throwBadInt(read, where.str() + " (" + typeName(type) + ")", v);
  return out;
}

double IValueConverter::real(const Napi::Value& v, const c10::TypePtr& type, const ValuePath& where) const {
  if (v.IsBigInt()) return static_cast<double>(int64(v, type, where));
  if (!v.IsNumber()) bad(where, type, "a number", v);
  return v.As<Napi::Number>().DoubleValue();
}

// Python's reading of a literal: 2 is an int, 2.5 a float; operators also take a boolean.
c10::IValue IValueConverter::scalar(const Napi::Value& v, const c10::TypePtr& type, const ValuePath& where) const {
  if (form_ == TensorForm::Handle && v.IsBoolean()) return v.As<Napi::Boolean>().Value();
  if (v.IsBigInt()) return int64(v, type, where);
  if (!v.IsNumber()) bad(where, type, "a number", v);
  int64_t n;
  if (readInt64(v, &n) == IntRead::Ok) return n;
  return v.As<Napi::Number>().DoubleValue();
}

c10::IValue IValueConverter::toIValue(const Napi::Value& v, const c10::TypePtr& type, const ValuePath& where) const {
  switch (type->kind()) {
    case K::OptionalType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      return toIValue(v, type->castRaw<c10::OptionalType>()->getElementType(), where);
    case K::NoneType:
      if (!v.IsNull() && !v.IsUndefined()) bad(where, type, "null", v);
      return c10::IValue();
    case K::TensorType: return tensor(v, type, where);
    case K::IntType: case K::SymIntType: return int64(v, type, where);
    case K::FloatType: return real(v, type, where);
    case K::NumberType: return scalar(v, type, where);
    case K::BoolType:
      if (!v.IsBoolean()) bad(where, type, "a boolean", v);
      return v.As<Napi::Boolean>().Value();
    case K::StringType:
      if (!v.IsString()) bad(where, type, "a string", v);
      return v.As<Napi::String>().Utf8Value();
    case K::DeviceObjType: {
      if (!v.IsString()) bad(where, type, "a device string such as 'cpu'", v);
      try {
        return c10::Device(v.As<Napi::String>().Utf8Value());
      } catch (const c10::Error&) {
        bad(where, type, "a device string such as 'cpu' or 'cuda:0'", v);
      }
    }
    case K::ScalarTypeType: {
      int64_t code = int64(v, type, where);
      if (!isSupportedDtypeCode(code)) bad(where, type, "a supported dtype", v);
      return static_cast<c10::ScalarType>(code);
    }
    case K::LayoutType:
      if (!v.IsString() || v.As<Napi::String>().Utf8Value() != "strided") bad(where, type, "'strided'", v);
      return c10::Layout::Strided;
    case K::MemoryFormatType: {
      std::string f = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
      if (f == "contiguous_format") return c10::MemoryFormat::Contiguous;
      if (f == "preserve_format") return c10::MemoryFormat::Preserve;
      if (f == "channels_last") return c10::MemoryFormat::ChannelsLast;
      bad(where, type, "'contiguous_format', 'preserve_format' or 'channels_last'", v);
    }
    case K::GeneratorType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      bad(where, type, "null (generators other than the default are not supported)", v);
    case K::ListType: return list(v, type, where);
    case K::TupleType: {
      const auto& elems = type->castRaw<c10::TupleType>()->elements();
      if (!v.IsArray()) bad(where, type, "an array of " + std::to_string(elems.size()), v);
      Napi::Array arr = v.As<Napi::Array>();
      if (arr.Length() != elems.size())
        bad(where, type, "an array of " + std::to_string(elems.size()) + " (it has " + std::to_string(arr.Length()) + ")", v);
      std::vector<c10::IValue> items;
      for (uint32_t k = 0; k < arr.Length(); k++) items.push_back(toIValue(arr.Get(k), elems[k], ValuePath(where, k)));
      return c10::ivalue::Tuple::create(std::move(items));
    }
    case K::DictType: return dict(v, type, where);
    case K::UnionType: return unionOf(v, type, where);
    case K::AnyType: return infer(v, where);
    default: break;
  }
  throw ArgError(ArgError::Type, where.str() + " has type " + typeName(type) + ", which torchtrain cannot pass from JavaScript yet");
}

c10::IValue IValueConverter::list(const Napi::Value& v, const c10::TypePtr& type, const ValuePath& where) const {
  c10::TypePtr elem = type->castRaw<c10::ListType>()->getElementType();
  bool ints = elem->kind() == K::IntType || elem->kind() == K::SymIntType;
  // Operators' int[N] arguments accept a single integer, as they do in Python.
  if (form_ == TensorForm::Handle && ints && (v.IsNumber() || v.IsBigInt())) return std::vector<int64_t>{int64(v, elem, where)};
  if (!v.IsArray()) bad(where, type, "an array", v);
  Napi::Array arr = v.As<Napi::Array>();
  uint32_t n = arr.Length();
  if (ints) {
    std::vector<int64_t> out(n);
    for (uint32_t k = 0; k < n; k++) out[k] = int64(arr.Get(k), elem, ValuePath(where, k));
    return out;
  }
  switch (elem->kind()) {
    case K::FloatType: {
      std::vector<double> out(n);
      for (uint32_t k = 0; k < n; k++) out[k] = real(arr.Get(k), elem, ValuePath(where, k));
      return out;
    }
    case K::BoolType: {
      c10::List<bool> out;
      for (uint32_t k = 0; k < n; k++) out.push_back(toIValue(arr.Get(k), elem, ValuePath(where, k)).toBool());
      return out;
    }
    case K::TensorType: {
      c10::List<at::Tensor> out;
      out.reserve(n);
      for (uint32_t k = 0; k < n; k++) out.push_back(tensor(arr.Get(k), elem, ValuePath(where, k)));
      return out;
    }
    case K::OptionalType:
      if (elem->castRaw<c10::OptionalType>()->getElementType()->kind() == K::TensorType) {
        c10::List<c10::optional<at::Tensor>> out;
        for (uint32_t k = 0; k < n; k++) {
          Napi::Value item = arr.Get(k);
          if (item.IsNull() || item.IsUndefined()) out.push_back(c10::optional<at::Tensor>());
          else out.push_back(c10::optional<at::Tensor>(tensor(item, c10::TensorType::get(), ValuePath(where, k))));
        }
        return out;
      }
      break;
    default: break;
  }
  c10::impl::GenericList out(elem);
  out.reserve(n);
  for (uint32_t k = 0; k < n; k++) out.push_back(toIValue(arr.Get(k), elem, ValuePath(where, k)));
  return out;
}

// The keys and values arrays of a tagged dict ({ kind: 'dict', keys, values }).
std::pair<Napi::Array, Napi::Array> IValueConverter::dictEntries(const Napi::Value& v, const c10::TypePtr& type,
                                                                 const ValuePath& where) const {
  Napi::Object o = v.As<Napi::Object>();
  Napi::Value keys = o.Get("keys"), values = o.Get("values");
  if (!keys.IsArray() || !values.IsArray()) bad(where, type, "a well-formed dict", v);
  return {keys.As<Napi::Array>(), values.As<Napi::Array>()};
}

c10::IValue IValueConverter::dict(const Napi::Value& v, const c10::TypePtr& type, const ValuePath& where) const {
  if (!isTagged(v, "dict")) bad(where, type, "an object or a Map", v);
  auto* dt = type->castRaw<c10::DictType>();
  auto [ks, vs] = dictEntries(v, type, where);
  c10::impl::GenericDict out(dt->getKeyType(), dt->getValueType());
  for (uint32_t k = 0; k < ks.Length() && k < vs.Length(); k++) {
    Napi::Value key = ks.Get(k);
    std::string suffix = key.IsString() ? "['" : "[";
    suffix.append(key.IsString() ? key.As<Napi::String>().Utf8Value() : describe(key)).append(key.IsString() ? "']" : "]");
    ValuePath at(where, std::move(suffix));
    ValuePath keyAt(at, std::string(" key"));
    // Object keys are strings in JS; a Dict[int, ...] takes them back as integers.
    c10::IValue keyValue;
    if (dt->getKeyType()->kind() == K::IntType && key.IsString()) {
      std::string text = key.As<Napi::String>().Utf8Value();
      char* end = nullptr;
      errno = 0;
      long long parsed = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0') bad(keyAt, dt->getKeyType(), "an integer", key);
      if (errno == ERANGE) throwBadInt(IntRead::Overflow, keyAt.str() + " (" + typeName(dt->getKeyType()) + ")", key);
      keyValue = static_cast<int64_t>(parsed);
    } else {
      keyValue = toIValue(key, dt->getKeyType(), keyAt);
    }
    out.insert_or_assign(std::move(keyValue), toIValue(vs.Get(k), dt->getValueType(), at));
  }
  return out;
}

c10::IValue IValueConverter::unionOf(const Napi::Value& v, const c10::TypePtr& type, const ValuePath& where) const {
  auto members = type->containedTypes();
  auto has = [&](K kind) { return std::any_of(members.begin(), members.end(), [&](const c10::TypePtr& m) { return m->kind() == kind; }); };
  if (v.IsNull() || v.IsUndefined()) {
    if (has(K::NoneType)) return c10::IValue();
    bad(where, type, "one of the union's types", v);
  }
  if (v.IsNumber()) {
    int64_t n;
    if (has(K::IntType) && readInt64(v, &n) == IntRead::Ok) return n;
    if (has(K::FloatType)) return v.As<Napi::Number>().DoubleValue();
    if (has(K::NumberType)) return scalar(v, type, where);
  }
  for (const auto& member : members) {
    try {
      return toIValue(v, member, where);
    } catch (const ArgError&) {
      // try the next member
    }
  }
  bad(where, type, "one of the union's types", v);
}

// Where the schema says Any, the JS value alone decides; a number stays a float (pass a bigint
// for an int), since nothing asks for an int.
c10::IValue IValueConverter::infer(const Napi::Value& v, const ValuePath& where) const {
  static const c10::TypePtr any = c10::AnyType::get();
  if (v.IsNull() || v.IsUndefined()) return c10::IValue();
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value();
  if (v.IsNumber()) return v.As<Napi::Number>().DoubleValue();
  if (v.IsBigInt()) return int64(v, any, where);
  if (v.IsString()) return v.As<Napi::String>().Utf8Value();
  if (isTagged(v, "tensor")) return tensor(v, any, where);
  if (v.IsArray()) {
    Napi::Array arr = v.As<Napi::Array>();
    std::vector<c10::IValue> items;
    c10::TypePtr common = c10::TensorType::get();  // an empty list is a List[Tensor], as in TorchScript
    bool homogeneous = true;
    for (uint32_t k = 0; k < arr.Length(); k++) {
      items.push_back(infer(arr.Get(k), ValuePath(where, k)));
      c10::TypePtr t = items.back().type();
      if (k == 0) common = t;
      else if (homogeneous) {
        auto unified = c10::unifyTypes(common, t);
        if (unified) common = *unified;
        else homogeneous = false;
      }
    }
    if (!homogeneous) return c10::ivalue::Tuple::create(std::move(items));
    c10::impl::GenericList list(common);
    for (auto& item : items) list.push_back(std::move(item));
    return list;
  }
  if (isTagged(v, "dict")) {
    auto [ks, vs] = dictEntries(v, any, where);
    std::vector<std::pair<c10::IValue, c10::IValue>> entries;
    c10::TypePtr keyType = c10::StringType::get(), valueType = c10::TensorType::get();
    for (uint32_t k = 0; k < ks.Length() && k < vs.Length(); k++) {
      ValuePath at(where, k);
      entries.emplace_back(infer(ks.Get(k), at), infer(vs.Get(k), at));
      auto kt = entries.back().first.type(), vt = entries.back().second.type();
      auto uk = k == 0 ? c10::optional<c10::TypePtr>(kt) : c10::unifyTypes(keyType, kt);
      auto uv = k == 0 ? c10::optional<c10::TypePtr>(vt) : c10::unifyTypes(valueType, vt);
      if (!uk || !uv) throw ArgError(ArgError::Type, where.str() + " is a dict whose keys or values mix types TorchScript cannot hold together");
      keyType = *uk;
      valueType = *uv;
    }
    c10::impl::GenericDict dict(keyType, valueType);
    for (auto& [key, value] : entries) dict.insert_or_assign(std::move(key), std::move(value));
    return dict;
  }
  bad(where, any, "a tensor, number, boolean, string, null, array or dict", v);
}

void IValueConverter::checkReturnable(const c10::IValue& v, const std::string& fn) {
  if (v.isTensor() || v.isNone() || v.isBool() || v.isInt() || v.isDouble() || v.isString() || v.isDevice()) return;
  if (v.isList()) {
    for (const auto& item : v.toListRef()) checkReturnable(item, fn);
    return;
  }
  if (v.isTuple()) {
    for (const auto& item : v.toTupleRef().elements()) checkReturnable(item, fn);
    return;
  }
  if (v.isGenericDict()) {
    for (const auto& entry : v.toGenericDict()) {
      checkReturnable(entry.key(), fn);
      checkReturnable(entry.value(), fn);
    }
    return;
  }
  throw std::invalid_argument(fn + ": the result holds a " + v.tagKind() +
                              ", which cannot be handed to JavaScript (tensors, numbers, booleans, strings, devices, and "
                              "lists, tuples and dicts of them can)");
}

Napi::Value IValueConverter::fromIValue(const c10::IValue& v) const {
  if (v.isTensor()) {
    const at::Tensor& t = v.toTensor();
    if (!t.defined()) return env_.Null();
    Napi::Value handle = Napi::Number::New(env_, put(s_, env_, t));
    if (form_ == TensorForm::Handle) return handle;
    Napi::Object o = Napi::Object::New(env_);
    o.Set("kind", "tensor");
    o.Set("handle", handle);
    return o;
  }
  if (v.isNone()) return env_.Null();
  if (v.isBool()) return Napi::Boolean::New(env_, v.toBool());
  if (v.isInt()) {
    int64_t i = v.toInt();
    // Beyond 2^53 a JS number would round; a bigint keeps the value.
    if (std::fabs(static_cast<double>(i)) > kMaxSafeInteger) return Napi::BigInt::New(env_, i);
    return Napi::Number::New(env_, static_cast<double>(i));
  }
  if (v.isDouble()) return Napi::Number::New(env_, v.toDouble());
  if (v.isString()) return Napi::String::New(env_, v.toStringRef());
  if (v.isDevice()) return Napi::String::New(env_, v.toDevice().str());
  if (v.isList() || v.isTuple()) {
    std::vector<c10::IValue> items;
    if (v.isTuple()) for (const auto& e : v.toTupleRef().elements()) items.push_back(e);
    else for (const auto& e : v.toListRef()) items.push_back(e);
    Napi::Array arr = Napi::Array::New(env_, items.size());
    for (size_t k = 0; k < items.size(); k++) arr.Set(static_cast<uint32_t>(k), fromIValue(items[k]));
    return arr;
  }
  if (v.isGenericDict()) {
    auto dict = v.toGenericDict();
    Napi::Array keys = Napi::Array::New(env_, dict.size()), values = Napi::Array::New(env_, dict.size());
    uint32_t k = 0;
    for (const auto& entry : dict) {
      keys.Set(k, fromIValue(entry.key()));
      values.Set(k, fromIValue(entry.value()));
      k++;
    }
    Napi::Object o = Napi::Object::New(env_);
    o.Set("kind", "dict");
    o.Set("keys", keys);
    o.Set("values", values);
    return o;
  }
  throw std::invalid_argument("cannot hand a " + v.tagKind() + " to JavaScript");  // checkReturnable runs first
}

}  // namespace tt
