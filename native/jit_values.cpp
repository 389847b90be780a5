#include "jit_values.h"

namespace tt::jit {

namespace {

using K = c10::TypeKind;
constexpr double kMaxSafeInteger = 9007199254740992.0;  // 2^53: beyond it a JS number is not an exact integer

// Values bound for TorchScript may be tagged objects ({ kind: 'tuple', items }): name the tag.
std::string kindOf(const Napi::Value& v) {
  if (v.Type() == napi_object && !v.IsArray()) {
    Napi::Value kind = v.As<Napi::Object>().Get("kind");
    if (kind.IsString()) return "a " + kind.As<Napi::String>().Utf8Value();
  }
  return tt::kindOf(v);
}

[[noreturn]] void bad(const std::string& where, const c10::TypePtr& type, const std::string& expected, const Napi::Value& v) {
  throw ArgError(ArgError::Type, where + " (" + type->annotation_str() + ") must be " + expected + ", got " + kindOf(v));
}

bool isTagged(const Napi::Value& v, const char* kind) {
  if (!v.IsObject() || v.IsArray()) return false;
  Napi::Value k = v.As<Napi::Object>().Get("kind");
  return k.IsString() && k.As<Napi::String>().Utf8Value() == kind;
}

bool isIntegral(double d) { return std::isfinite(d) && std::floor(d) == d && std::fabs(d) <= kMaxSafeInteger; }

at::Tensor tensorOf(EnvState& s, const Napi::Value& v, const c10::TypePtr& type, const std::string& where) {
  if (!isTagged(v, "tensor")) bad(where, type, "a Tensor", v);
  Napi::Value h = v.As<Napi::Object>().Get("handle");
  double d = h.IsNumber() ? h.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0 && d < static_cast<double>(s.slots.size())) || std::floor(d) != d || !s.slots[static_cast<size_t>(d)].defined())
    throw ArgError(ArgError::Type, where + " is a disposed Tensor (freed by dispose() or by the end of its torch.scope)");
  return s.slots[static_cast<size_t>(d)];
}

int64_t intOf(const Napi::Value& v, const c10::TypePtr& type, const std::string& where) {
  if (v.IsBigInt()) {
    bool lossless = false;
    int64_t out = v.As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) throw ArgError(ArgError::Range, where + " is a bigint outside the int64 range");
    return out;
  }
  if (!v.IsNumber() || !isIntegral(v.As<Napi::Number>().DoubleValue())) bad(where, type, "an integer", v);
  return static_cast<int64_t>(v.As<Napi::Number>().DoubleValue());
}

double doubleOf(const Napi::Value& v, const c10::TypePtr& type, const std::string& where) {
  if (v.IsBigInt()) return static_cast<double>(intOf(v, type, where));
  if (!v.IsNumber()) bad(where, type, "a number", v);
  return v.As<Napi::Number>().DoubleValue();
}

// Python's reading of a literal: 2 is an int, 2.5 a float.
c10::IValue scalarOf(const Napi::Value& v, const c10::TypePtr& type, const std::string& where) {
  if (v.IsBigInt()) return intOf(v, type, where);
  double d = doubleOf(v, type, where);
  if (isIntegral(d)) return static_cast<int64_t>(d);
  return d;
}

// Where the schema says Any, the JS value alone decides; a number stays a float (pass a bigint
// for an int), since nothing asks for an int.
c10::IValue infer(EnvState& s, const Napi::Value& v, const std::string& where) {
  static const c10::TypePtr any = c10::AnyType::get();
  if (v.IsNull() || v.IsUndefined()) return c10::IValue();
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value();
  if (v.IsNumber()) return v.As<Napi::Number>().DoubleValue();
  if (v.IsBigInt()) return intOf(v, any, where);
  if (v.IsString()) return v.As<Napi::String>().Utf8Value();
  if (isTagged(v, "tensor")) return tensorOf(s, v, any, where);
  if (v.IsArray()) {
    Napi::Array arr = v.As<Napi::Array>();
    std::vector<c10::IValue> items;
    c10::TypePtr common = c10::TensorType::get();  // an empty list is a List[Tensor], as in TorchScript
    bool homogeneous = true;
    for (uint32_t k = 0; k < arr.Length(); k++) {
      items.push_back(infer(s, arr.Get(k), where + "[" + std::to_string(k) + "]"));
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
    Napi::Object o = v.As<Napi::Object>();
    Napi::Value keys = o.Get("keys"), values = o.Get("values");
    if (!keys.IsArray() || !values.IsArray()) bad(where, any, "a well-formed dict", v);
    Napi::Array ks = keys.As<Napi::Array>(), vs = values.As<Napi::Array>();
    std::vector<std::pair<c10::IValue, c10::IValue>> entries;
    c10::TypePtr keyType = c10::StringType::get(), valueType = c10::TensorType::get();
    for (uint32_t k = 0; k < ks.Length() && k < vs.Length(); k++) {
      std::string at = where + "[" + std::to_string(k) + "]";
      entries.emplace_back(infer(s, ks.Get(k), at), infer(s, vs.Get(k), at));
      auto kt = entries.back().first.type(), vt = entries.back().second.type();
      auto uk = k == 0 ? c10::optional<c10::TypePtr>(kt) : c10::unifyTypes(keyType, kt);
      auto uv = k == 0 ? c10::optional<c10::TypePtr>(vt) : c10::unifyTypes(valueType, vt);
      if (!uk || !uv) throw ArgError(ArgError::Type, where + " is a dict whose keys or values mix types TorchScript cannot hold together");
      keyType = *uk;
      valueType = *uv;
    }
    c10::impl::GenericDict dict(keyType, valueType);
    for (auto& [key, value] : entries) dict.insert_or_assign(std::move(key), std::move(value));
    return dict;
  }
  bad(where, any, "a tensor, number, boolean, string, null, array or dict", v);
}

}  // namespace

c10::IValue toIValue(EnvState& s, const Napi::Value& v, const c10::TypePtr& type, const std::string& where) {
  switch (type->kind()) {
    case K::OptionalType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      return toIValue(s, v, type->castRaw<c10::OptionalType>()->getElementType(), where);
    case K::NoneType:
      if (!v.IsNull() && !v.IsUndefined()) bad(where, type, "null", v);
      return c10::IValue();
    case K::TensorType: return tensorOf(s, v, type, where);
    case K::IntType: return intOf(v, type, where);
    case K::FloatType: return doubleOf(v, type, where);
    case K::NumberType: return scalarOf(v, type, where);
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
    case K::ListType: {
      if (!v.IsArray()) bad(where, type, "an array", v);
      c10::TypePtr elem = type->castRaw<c10::ListType>()->getElementType();
      Napi::Array arr = v.As<Napi::Array>();
      c10::impl::GenericList list(elem);
      list.reserve(arr.Length());
      for (uint32_t k = 0; k < arr.Length(); k++) list.push_back(toIValue(s, arr.Get(k), elem, where + "[" + std::to_string(k) + "]"));
      return list;
    }
    case K::TupleType: {
      const auto& elems = type->castRaw<c10::TupleType>()->elements();
      if (!v.IsArray()) bad(where, type, "an array of " + std::to_string(elems.size()), v);
      Napi::Array arr = v.As<Napi::Array>();
      if (arr.Length() != elems.size()) bad(where, type, "an array of " + std::to_string(elems.size()) + " (it has " + std::to_string(arr.Length()) + ")", v);
      std::vector<c10::IValue> items;
      for (uint32_t k = 0; k < arr.Length(); k++) items.push_back(toIValue(s, arr.Get(k), elems[k], where + "[" + std::to_string(k) + "]"));
      return c10::ivalue::Tuple::create(std::move(items));
    }
    case K::DictType: {
      if (!isTagged(v, "dict")) bad(where, type, "an object or a Map", v);
      auto* dt = type->castRaw<c10::DictType>();
      Napi::Object o = v.As<Napi::Object>();
      Napi::Value keys = o.Get("keys"), values = o.Get("values");
      if (!keys.IsArray() || !values.IsArray()) bad(where, type, "a well-formed dict", v);
      Napi::Array ks = keys.As<Napi::Array>(), vs = values.As<Napi::Array>();
      c10::impl::GenericDict dict(dt->getKeyType(), dt->getValueType());
      for (uint32_t k = 0; k < ks.Length() && k < vs.Length(); k++) {
        Napi::Value key = ks.Get(k);
        std::string at = where + "[" + kindOf(key) + "]";
        if (key.IsString()) at = where + "['" + key.As<Napi::String>().Utf8Value() + "']";
        // Object keys are strings in JS; a Dict[int, ...] takes them back as integers.
        c10::IValue keyValue;
        if (dt->getKeyType()->kind() == K::IntType && key.IsString()) {
          std::string text = key.As<Napi::String>().Utf8Value();
          char* end = nullptr;
          long long parsed = std::strtoll(text.c_str(), &end, 10);
          if (text.empty() || *end != '\0') bad(at + " key", dt->getKeyType(), "an integer", key);
          keyValue = static_cast<int64_t>(parsed);
        } else {
          keyValue = toIValue(s, key, dt->getKeyType(), at + " key");
        }
        dict.insert_or_assign(std::move(keyValue), toIValue(s, vs.Get(k), dt->getValueType(), at));
      }
      return dict;
    }
    case K::UnionType: {
      auto members = type->containedTypes();
      auto has = [&](K kind) { return std::any_of(members.begin(), members.end(), [&](const c10::TypePtr& m) { return m->kind() == kind; }); };
      if (v.IsNull() || v.IsUndefined()) {
        if (has(K::NoneType)) return c10::IValue();
        bad(where, type, "one of the union's types", v);
      }
      if (v.IsNumber()) {
        double d = v.As<Napi::Number>().DoubleValue();
        if (has(K::IntType) && isIntegral(d)) return static_cast<int64_t>(d);
        if (has(K::FloatType)) return d;
        if (has(K::NumberType)) return scalarOf(v, type, where);
      }
      for (const auto& member : members) {
        try {
          return toIValue(s, v, member, where);
        } catch (const ArgError&) {
          // try the next member
        }
      }
      bad(where, type, "one of the union's types", v);
    }
    case K::AnyType: return infer(s, v, where);
    default: break;
  }
  throw ArgError(ArgError::Type, where + " has type " + type->annotation_str() + ", which torchtrain cannot pass from JavaScript yet");
}

void checkReturnable(const c10::IValue& v, const std::string& fn) {
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
  throw std::invalid_argument(fn + ": the method returned a " + v.tagKind() +
                              ", which cannot be handed to JavaScript (return tensors, numbers, strings, lists, tuples or dicts of them)");
}

Napi::Value fromIValue(EnvState& s, Napi::Env env, const c10::IValue& v) {
  if (v.isTensor()) {
    const at::Tensor& t = v.toTensor();
    if (!t.defined()) return env.Null();
    Napi::Object o = Napi::Object::New(env);
    o.Set("kind", "tensor");
    o.Set("handle", Napi::Number::New(env, put(s, env, t)));
    return o;
  }
  if (v.isNone()) return env.Null();
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isInt()) {
    int64_t i = v.toInt();
    // Beyond 2^53 a JS number would round; a bigint keeps the value.
    if (std::fabs(static_cast<double>(i)) > kMaxSafeInteger) return Napi::BigInt::New(env, i);
    return Napi::Number::New(env, static_cast<double>(i));
  }
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isDevice()) return Napi::String::New(env, v.toDevice().str());
  if (v.isList() || v.isTuple()) {
    std::vector<c10::IValue> items;
    if (v.isTuple()) for (const auto& e : v.toTupleRef().elements()) items.push_back(e);
    else for (const auto& e : v.toListRef()) items.push_back(e);
    Napi::Array arr = Napi::Array::New(env, items.size());
    for (size_t k = 0; k < items.size(); k++) arr.Set(static_cast<uint32_t>(k), fromIValue(s, env, items[k]));
    return arr;
  }
  if (v.isGenericDict()) {
    auto dict = v.toGenericDict();
    Napi::Array keys = Napi::Array::New(env, dict.size()), values = Napi::Array::New(env, dict.size());
    uint32_t k = 0;
    for (const auto& entry : dict) {
      keys.Set(k, fromIValue(s, env, entry.key()));
      values.Set(k, fromIValue(s, env, entry.value()));
      k++;
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("kind", "dict");
    o.Set("keys", keys);
    o.Set("values", values);
    return o;
  }
  throw std::invalid_argument("cannot hand a " + v.tagKind() + " to JavaScript");  // checkReturnable runs first
}

}  // namespace tt::jit
