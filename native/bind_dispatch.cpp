// The generic entry point: any ATen operator by schema name, through libtorch's dispatcher
// (autograd and autocast included). The JS layer maps positional and keyword arguments onto
// the schema; here each JS value is converted by the schema's declared type and every omitted
// argument is filled from the schema's default (the boxed call needs the full stack).
#include "boundary.h"
#include "ivalues.h"
#include "registrars.h"

namespace {

// Size lists go straight into allocations; libtorch 1.13 does not check them for overflow.
void checkSize(const c10::Argument& param, const c10::IValue& v, const char* fn) {
  if (param.name() != "size" || !v.isIntList()) return;
  long double count = 1;
  for (const auto& n : v.toListRef()) count *= std::fabs(static_cast<long double>(n.toInt()));
  if (count > static_cast<long double>(int64_t(1) << 48))
    throw tt::ArgError(tt::ArgError::Range, std::string(fn) + ": argument 'size' (" + param.real_type()->str() +
                                                ") asks for more than 2^48 elements; that is no tensor this machine can hold");
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
  int64_t id = a.state().operators.add(*found);
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
  const c10::OperatorHandle& op = a.op(0);
  if (!a.has(1) || !a[1].IsArray()) a.typeError(1, "an array of arguments");
  Napi::Array values = a[1].As<Napi::Array>();
  const auto& schema = op.schema();
  const auto& params = schema.arguments();
  if (values.Length() > params.size())
    a.rangeError(1, "has " + std::to_string(values.Length()) + " arguments; " + schema.name() + " takes " + std::to_string(params.size()));
  tt::IValueConverter convert(a.state(), a.env(), tt::TensorForm::Handle);
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
    stack.push_back(convert.toIValue(v, params[k].real_type(), tt::ValuePath(a.fn(), params[k].name())));
    checkSize(params[k], stack.back(), a.fn());
  }
  op.callBoxed(&stack);
  for (const auto& result : stack) tt::IValueConverter::checkReturnable(result, schema.name());
  if (stack.empty()) return a.undefined();
  if (stack.size() == 1) return convert.fromIValue(stack[0]);
  Napi::Array out = Napi::Array::New(a.env(), stack.size());
  for (size_t k = 0; k < stack.size(); k++) out.Set(static_cast<uint32_t>(k), convert.fromIValue(stack[k]));
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
