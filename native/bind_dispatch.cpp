// The generic entry point: any ATen operator by schema name, through libtorch's dispatcher
// (autograd and autocast included). The JS layer maps positional and keyword arguments onto
// the schema; here each JS value is converted by the schema's declared type and every omitted
// argument is filled from the schema's default (the boxed call needs the full stack).
#include <mutex>

#include "boundary.h"
#include "registrars.h"

namespace {

std::mutex opsMutex;
std::vector<c10::OperatorHandle>& operators() {
  static std::vector<c10::OperatorHandle> ops;
  return ops;
}

const c10::OperatorHandle& operatorById(tt::Args& a, size_t i) {
  int64_t id = a.int64(i);
  std::lock_guard<std::mutex> lock(opsMutex);
  if (id < 0 || static_cast<size_t>(id) >= operators().size()) a.rangeError(i, "is not an operator id from opSchema()");
  return operators()[static_cast<size_t>(id)];
}

[[noreturn]] void badArg(tt::Args& a, const c10::Argument& arg, const std::string& expected, Napi::Value v) {
  std::string got = v.IsArray() ? "an array" : v.IsNumber() ? "a number" : v.IsString() ? "a string" : v.IsBoolean() ? "a boolean" : v.IsNull() ? "null" : "another kind of value";
  throw tt::ArgError(tt::ArgError::Type, std::string(a.fn()) + ": argument '" + arg.name() + "' (" + arg.real_type()->str() +
                                             ") must be " + expected + ", got " + got);
}

int64_t intValue(tt::Args& a, const c10::Argument& arg, Napi::Value v) {
  if (v.IsBigInt()) {
    bool lossless = false;
    return v.As<Napi::BigInt>().Int64Value(&lossless);
  }
  if (!v.IsNumber()) badArg(a, arg, "an integer", v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 9007199254740992.0)
    badArg(a, arg, "an integer (not " + std::to_string(d) + ")", v);
  return static_cast<int64_t>(d);
}

c10::Scalar scalarValue(tt::Args& a, const c10::Argument& arg, Napi::Value v) {
  if (v.IsBoolean()) return c10::Scalar(v.As<Napi::Boolean>().Value());
  if (v.IsBigInt()) return c10::Scalar(intValue(a, arg, v));
  if (!v.IsNumber()) badArg(a, arg, "a number", v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) <= 9007199254740992.0) return c10::Scalar(static_cast<int64_t>(d));
  return c10::Scalar(d);
}

at::Tensor tensorValue(tt::Args& a, const c10::Argument& arg, Napi::Value v) {
  if (!v.IsNumber()) badArg(a, arg, "a Tensor", v);
  return tt::tensorFromValue(v, a.fn(), 1);
}

c10::IValue toIValue(tt::Args& a, const c10::Argument& arg, const c10::TypePtr& type, Napi::Value v) {
  using K = c10::TypeKind;
  switch (type->kind()) {
    case K::OptionalType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      return toIValue(a, arg, type->castRaw<c10::OptionalType>()->getElementType(), v);
    case K::TensorType: return tensorValue(a, arg, v);
    case K::IntType: case K::SymIntType: return intValue(a, arg, v);
    case K::FloatType:
      if (!v.IsNumber()) badArg(a, arg, "a number", v);
      return v.As<Napi::Number>().DoubleValue();
    case K::BoolType:
      if (!v.IsBoolean()) badArg(a, arg, "a boolean", v);
      return v.As<Napi::Boolean>().Value();
    case K::NumberType: return scalarValue(a, arg, v);
    case K::StringType:
      if (!v.IsString()) badArg(a, arg, "a string", v);
      return v.As<Napi::String>().Utf8Value();
    case K::ScalarTypeType: {
      int64_t code = intValue(a, arg, v);
      if (!tt::isSupportedDtypeCode(code)) badArg(a, arg, "a supported dtype", v);
      return static_cast<c10::ScalarType>(code);
    }
    case K::DeviceObjType:
      if (!v.IsString()) badArg(a, arg, "a device string such as 'cpu'", v);
      return c10::Device(v.As<Napi::String>().Utf8Value());
    case K::LayoutType: {
      if (!v.IsString() || v.As<Napi::String>().Utf8Value() != "strided") badArg(a, arg, "'strided'", v);
      return c10::Layout::Strided;
    }
    case K::MemoryFormatType: {
      std::string f = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
      if (f == "contiguous_format") return c10::MemoryFormat::Contiguous;
      if (f == "preserve_format") return c10::MemoryFormat::Preserve;
      if (f == "channels_last") return c10::MemoryFormat::ChannelsLast;
      badArg(a, arg, "'contiguous_format', 'preserve_format' or 'channels_last'", v);
    }
    case K::ListType: {
      c10::TypePtr elem = type->castRaw<c10::ListType>()->getElementType();
      // int[N] arguments accept a single integer, as they do in Python.
      if (!v.IsArray() && (elem->kind() == K::IntType || elem->kind() == K::SymIntType) && v.IsNumber())
        return std::vector<int64_t>{intValue(a, arg, v)};
      if (!v.IsArray()) badArg(a, arg, "an array", v);
      Napi::Array arr = v.As<Napi::Array>();
      uint32_t n = arr.Length();
      switch (elem->kind()) {
        case K::TensorType: {
          c10::List<at::Tensor> out;
          for (uint32_t k = 0; k < n; k++) out.push_back(tensorValue(a, arg, arr[k]));
          return out;
        }
        case K::OptionalType: {
          c10::List<c10::optional<at::Tensor>> out;
          for (uint32_t k = 0; k < n; k++) {
            Napi::Value item = arr[k];
            if (item.IsNull() || item.IsUndefined()) out.push_back(c10::optional<at::Tensor>());
            else out.push_back(c10::optional<at::Tensor>(tensorValue(a, arg, item)));
          }
          return out;
        }
        case K::IntType: case K::SymIntType: {
          std::vector<int64_t> out(n);
          long double count = 1;
          for (uint32_t k = 0; k < n; k++) {
            out[k] = intValue(a, arg, arr[k]);
            count *= std::fabs(static_cast<long double>(out[k]));
          }
          // Size lists go straight into allocations; libtorch 1.13 does not check them for overflow.
          if (arg.name() == "size" && count > static_cast<long double>(int64_t(1) << 48))
            badArg(a, arg, "a size of at most 2^48 elements", v);
          return out;
        }
        case K::FloatType: {
          std::vector<double> out(n);
          for (uint32_t k = 0; k < n; k++) {
            Napi::Value item = arr[k];
            if (!item.IsNumber()) badArg(a, arg, "an array of numbers", item);
            out[k] = item.As<Napi::Number>().DoubleValue();
          }
          return out;
        }
        case K::BoolType: {
          c10::List<bool> out;
          for (uint32_t k = 0; k < n; k++) {
            Napi::Value item = arr[k];
            if (!item.IsBoolean()) badArg(a, arg, "an array of booleans", item);
            out.push_back(item.As<Napi::Boolean>().Value());
          }
          return out;
        }
        default: break;
      }
      break;
    }
    case K::GeneratorType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      badArg(a, arg, "null (generators other than the default are not supported)", v);
    default: break;
  }
  throw tt::ArgError(tt::ArgError::Type, std::string(a.fn()) + ": argument '" + arg.name() + "' has type " + type->str() +
                                             ", which torch.ops cannot pass yet");
}

Napi::Value fromIValue(Napi::Env env, const c10::IValue& v) {
  if (v.isTensor()) return Napi::Number::New(env, tt::put(env, v.toTensor()));
  if (v.isNone()) return env.Null();
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isScalar()) return Napi::Number::New(env, v.toScalar().toDouble());
  if (v.isTensorList()) {
    auto list = v.toTensorVector();
    Napi::Array arr = Napi::Array::New(env, list.size());
    for (size_t k = 0; k < list.size(); k++) arr.Set(static_cast<uint32_t>(k), Napi::Number::New(env, tt::put(env, list[k])));
    return arr;
  }
  if (v.isIntList()) {
    auto list = v.toIntVector();
    Napi::Array arr = Napi::Array::New(env, list.size());
    for (size_t k = 0; k < list.size(); k++) arr.Set(static_cast<uint32_t>(k), Napi::Number::New(env, static_cast<double>(list[k])));
    return arr;
  }
  if (v.isTuple() || v.isList()) {
    std::vector<c10::IValue> items;
    if (v.isTuple()) for (const auto& e : v.toTupleRef().elements()) items.push_back(e);
    else for (const auto& e : v.toListRef()) items.push_back(e);
    Napi::Array arr = Napi::Array::New(env, items.size());
    for (size_t k = 0; k < items.size(); k++) arr.Set(static_cast<uint32_t>(k), fromIValue(env, items[k]));
    return arr;
  }
  throw std::invalid_argument("the operator returned a " + v.tagKind() + ", which torch.ops cannot hand back yet");
}

// opSchema(name, overload?) -> { id, schema, args: [{name, type, kwargOnly, hasDefault}], returns: [type] }
TT_BINDING(opSchema) {
  std::string name = a.string(0);
  std::string overload = a.has(1) ? a.string(1) : "";
  if (name.find("::") == std::string::npos) name = "aten::" + name;
  auto found = c10::Dispatcher::singleton().findSchema({name, overload});
  if (!found) {
    throw tt::ArgError(tt::ArgError::Range, std::string("opSchema: no operator '") + name + (overload.empty() ? "" : "." + overload) +
                                                "' is registered (check the name; overloads are like 'add' + 'Tensor')");
  }
  size_t id;
  {
    std::lock_guard<std::mutex> lock(opsMutex);
    id = operators().size();
    operators().push_back(*found);
  }
  const auto& schema = found->schema();
  Napi::Env env = a.env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("id", Napi::Number::New(env, static_cast<double>(id)));
  std::ostringstream text;
  text << schema;
  out.Set("schema", text.str());
  Napi::Array args = Napi::Array::New(env, schema.arguments().size());
  for (size_t k = 0; k < schema.arguments().size(); k++) {
    const auto& arg = schema.arguments()[k];
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", arg.name());
    o.Set("type", arg.real_type()->str());
    o.Set("kwargOnly", Napi::Boolean::New(env, arg.kwarg_only()));
    o.Set("hasDefault", Napi::Boolean::New(env, arg.default_value().has_value()));
    o.Set("mutable", Napi::Boolean::New(env, arg.alias_info() && arg.alias_info()->isWrite()));
    args.Set(static_cast<uint32_t>(k), o);
  }
  out.Set("args", args);
  Napi::Array returns = Napi::Array::New(env, schema.returns().size());
  for (size_t k = 0; k < schema.returns().size(); k++) returns.Set(static_cast<uint32_t>(k), schema.returns()[k].real_type()->str());
  out.Set("returns", returns);
  return out;
}

// opCall(id, args): args holds one entry per schema argument, undefined where the default applies.
TT_BINDING(opCall) {
  const c10::OperatorHandle& op = operatorById(a, 0);
  if (!a.has(1) || !a[1].IsArray()) a.typeError(1, "an array of arguments");
  Napi::Array values = a[1].As<Napi::Array>();
  const auto& schema = op.schema();
  const auto& params = schema.arguments();
  if (values.Length() > params.size())
    a.rangeError(1, "has " + std::to_string(values.Length()) + " arguments; " + schema.name() + " takes " + std::to_string(params.size()));
  torch::jit::Stack stack;
  stack.reserve(params.size());
  for (size_t k = 0; k < params.size(); k++) {
    Napi::Value v = k < values.Length() ? values.Get(static_cast<uint32_t>(k)) : a.env().Undefined();
    if (v.IsUndefined()) {
      if (params[k].default_value()) {
        stack.push_back(*params[k].default_value());
        continue;
      }
      if (params[k].real_type()->kind() != c10::TypeKind::OptionalType)
        throw tt::ArgError(tt::ArgError::Type, std::string("opCall: ") + schema.name() + " needs argument '" + params[k].name() + "'");
    }
    stack.push_back(toIValue(a, params[k], params[k].real_type(), v));
  }
  op.callBoxed(&stack);
  if (stack.empty()) return a.undefined();
  if (stack.size() == 1) return fromIValue(a.env(), stack[0]);
  Napi::Array out = Napi::Array::New(a.env(), stack.size());
  for (size_t k = 0; k < stack.size(); k++) out.Set(static_cast<uint32_t>(k), fromIValue(a.env(), stack[k]));
  return out;
}

// opOverloads(name) -> the overload names registered for an operator ('' is the default one).
TT_BINDING(opOverloads) {
  std::string name = a.string(0);
  if (name.find("::") == std::string::npos) name = "aten::" + name;
  std::vector<std::string> found;
  for (const auto& op : c10::Dispatcher::singleton().getAllOpNames())
    if (op.name == name) found.push_back(op.overload_name);
  std::sort(found.begin(), found.end());
  Napi::Array out = Napi::Array::New(a.env(), found.size());
  for (size_t k = 0; k < found.size(); k++) out.Set(static_cast<uint32_t>(k), found[k]);
  return out;
}

}  // namespace

namespace tt {
void registerDispatch(Napi::Env, Napi::Object e) {
  TT_EXPORT(e, opSchema);
  TT_EXPORT(e, opCall);
  TT_EXPORT(e, opOverloads);
}
}  // namespace tt
