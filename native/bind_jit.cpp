// TorchScript modules: load/save, their parameters and buffers as tensor handles, train/eval,
// and calling their methods. Loaded modules live in this environment's table (EnvState::modules),
// addressed by integer ids. Parameter and buffer handles are the module's own at::Tensors
// (one more reference each, not copies): gradients from forward land on them and in-place
// optimizer updates change what the module computes with.
#include <sys/stat.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/script.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "boundary.h"
#include "ivalues.h"
#include "registrars.h"

namespace {

// The first line of the exception being handled, for rewrapping it with the file's path. Out of
// memory keeps its own kind; the TorchScript parser's errors are no c10::Error in 1.13.
std::string reason() {
  try {
    throw;
  } catch (const c10::OutOfMemoryError&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const c10::Error& e) {
    return tt::firstLine(e.what_without_backtrace());
  } catch (const std::exception& e) {
    return tt::firstLine(e.what());
  }
}

// named_parameters/named_buffers as [name, handle, aliasOf] triples: aliasOf is the index of an
// earlier entry holding the very same tensor (tied weights), or -1.
template <typename List>
Napi::Value namedTensors(tt::Args& a, const List& list) {
  Napi::Env env = a.env();
  std::vector<std::pair<std::string, at::Tensor>> entries;
  for (const auto& item : list) entries.emplace_back(item.name, item.value);
  std::unordered_map<const c10::TensorImpl*, int64_t> firstIndex;
  Napi::Array out = Napi::Array::New(env, entries.size());
  for (size_t k = 0; k < entries.size(); k++) {
    auto [slot, fresh] = firstIndex.emplace(entries[k].second.unsafeGetTensorImpl(), static_cast<int64_t>(k));
    int64_t alias = fresh ? -1 : slot->second;
    Napi::Array triple = Napi::Array::New(env, 3);
    triple.Set(0u, entries[k].first);
    triple.Set(1u, Napi::Number::New(env, tt::put(a.state(), env, entries[k].second)));
    triple.Set(2u, Napi::Number::New(env, static_cast<double>(alias)));
    out.Set(static_cast<uint32_t>(k), triple);
  }
  return out;
}

torch::jit::Method methodOf(tt::Args& a, const torch::jit::Module& m, const std::string& name) {
  if (auto method = m.find_method(name)) return *method;
  std::string known;
  for (const auto& method : m.get_methods()) known += (known.empty() ? "" : ", ") + method.name();
  throw tt::ArgError(tt::ArgError::Range, std::string(a.fn()) + ": the module has no method '" + name + "' (it has: " +
                                              (known.empty() ? "none" : known) + "; only methods compiled by TorchScript are there)");
}

// Converts the JS arguments by the method's schema (its first argument is self), fills omitted
// trailing ones from the schema's defaults, runs it, and converts the result back.
Napi::Value callMethod(tt::Args& a, const torch::jit::Module& m, const std::string& name, size_t argsAt) {
  torch::jit::Method method = methodOf(a, m, name);
  if (!a.has(argsAt) || !a[argsAt].IsArray()) a.typeError(argsAt, "an array of arguments");
  Napi::Array values = a[argsAt].As<Napi::Array>();
  const c10::FunctionSchema& schema = method.function().getSchema();
  const auto& params = schema.arguments();
  size_t declared = params.empty() ? 0 : params.size() - 1;
  if (values.Length() > declared) {
    std::ostringstream text;
    text << schema;
    a.rangeError(argsAt, "holds " + std::to_string(values.Length()) + " arguments; " + name + " takes " + std::to_string(declared) + ": " + text.str());
  }
  tt::IValueConverter convert(a.state(), a.env(), tt::TensorForm::Tagged);
  std::vector<c10::IValue> stack;
  stack.reserve(declared);
  for (size_t k = 0; k < declared; k++) {
    const c10::Argument& param = params[k + 1];
    Napi::Value v = k < values.Length() ? values.Get(static_cast<uint32_t>(k)) : a.env().Undefined();
    if (v.IsUndefined() && param.default_value()) {
      stack.push_back(*param.default_value());
      continue;
    }
    if (v.IsUndefined() && param.type()->kind() != c10::TypeKind::OptionalType)
      throw tt::ArgError(tt::ArgError::Type, name + ": argument '" + param.name() + "' (" + param.type()->annotation_str() + ") is missing");
    stack.push_back(convert.toIValue(v, param.type(), tt::ValuePath(name, param.name())));
  }
  c10::IValue result = method(std::move(stack));
  tt::IValueConverter::checkReturnable(result, name);
  return convert.fromIValue(result);
}

// Why a loaded tensor cannot be used safely, or "" when it can. libtorch's unpickler trusts the
// archive: a storage's byte count comes from the pickle, not from its data record (a 0-byte record
// gives a storage that claims bytes but holds none), and sizes, strides and offset are not checked
// against the storage. Either way the first op on the tensor reads memory it does not own.
std::string storageProblem(const at::Tensor& t) {
  if (!t.defined() || !t.has_storage() || t.is_meta()) return "";
  __int128 last = t.storage_offset();
  for (int64_t d = 0; d < t.dim(); d++) {
    if (t.size(d) == 0) return "";  // no elements: nothing is read
    if (t.stride(d) < 0) return "its stride " + std::to_string(t.stride(d)) + " at dimension " + std::to_string(d) + " is negative";
    last += static_cast<__int128>(t.size(d) - 1) * t.stride(d);
  }
  if (t.storage_offset() < 0) return "its storage offset " + std::to_string(t.storage_offset()) + " is negative";
  __int128 need = (last + 1) * static_cast<__int128>(t.element_size());
  int64_t have = static_cast<int64_t>(t.storage().nbytes());
  auto list = [](at::IntArrayRef v) {
    std::string out = "[";
    for (size_t k = 0; k < v.size(); k++) out += (k ? ", " : "") + std::to_string(v[k]);
    return out + "]";
  };
  if (need > have)
    return "its sizes " + list(t.sizes()) + ", strides " + list(t.strides()) + " and offset " + std::to_string(t.storage_offset()) +
           " reach past its storage of " + std::to_string(have) + " bytes";
  if (have > 0 && t.storage().data_ptr().get() == nullptr)
    return "its storage should hold " + std::to_string(have) + " bytes but holds none (its data record in the archive is empty or missing)";
  return "";
}

// Checks every tensor a loaded module holds, named by its attribute path: parameters, buffers,
// other tensor attributes (also inside lists, tuples and dicts) and constants in its methods' code.
class LoadedTensorCheck {
 public:
  explicit LoadedTensorCheck(std::string path) : path_(std::move(path)) {}

  void value(const c10::IValue& v, const std::string& name, int depth) {
    if (depth > 64) return;
    if (v.isTensor()) {
      tensor(v.toTensor(), name);
    } else if (v.isObject()) {
      auto object = v.toObject();
      if (!seen_.insert(object.get()).second) return;
      auto type = object->type();
      for (size_t k = 0; k < object->slots().size(); k++)
        value(object->getSlot(k), (name.empty() ? "" : name + ".") + type->getAttributeName(k), depth + 1);
      for (const auto* method : type->methods()) graph(*method, name, depth);
    } else if (v.isList()) {
      auto list = v.toListRef();
      for (size_t k = 0; k < list.size(); k++) value(list[k], name + "[" + std::to_string(k) + "]", depth + 1);
    } else if (v.isTuple()) {
      const auto& items = v.toTupleRef().elements();
      for (size_t k = 0; k < items.size(); k++) value(items[k], name + "[" + std::to_string(k) + "]", depth + 1);
    } else if (v.isGenericDict()) {
      for (const auto& entry : v.toGenericDict()) {
        std::string key = entry.key().isString() ? entry.key().toStringRef() : entry.key().isInt() ? std::to_string(entry.key().toInt()) : "?";
        value(entry.value(), name + "[" + key + "]", depth + 1);
      }
    }
  }

 private:
  void tensor(const at::Tensor& t, const std::string& name) {
    std::string problem = storageProblem(t);
    if (!problem.empty())
      throw std::runtime_error("'" + path_ + "' holds a damaged tensor '" + name + "': " + problem +
                               "; the archive is corrupt: export the model from Python again");
  }

  void graph(const torch::jit::Function& fn, const std::string& owner, int depth) {
    const auto* graphFn = dynamic_cast<const torch::jit::GraphFunction*>(&fn);
    if (!graphFn) return;
    std::shared_ptr<torch::jit::Graph> g = graphFn->graph();
    if (g) block(g->block(), (owner.empty() ? "" : owner + ".") + fn.name(), depth);
  }

  void block(const torch::jit::Block* b, const std::string& where, int depth) {
    for (const torch::jit::Node* node : b->nodes()) {
      if (node->kind() == c10::prim::Constant && node->output()->type()->kind() == c10::TypeKind::TensorType) {
        if (auto constant = torch::jit::toIValue(node->output())) value(*constant, "a constant in " + where, depth + 1);
      }
      for (const torch::jit::Block* inner : node->blocks()) block(inner, where, depth);
    }
  }

  std::string path_;
  std::unordered_set<const void*> seen_;
};

// jitLoad(path, device?) -> id. A missing file or a file that is no TorchScript archive is an
// error naming the path (libtorch's own message alone does not always say which file).
TT_BINDING(jitLoad) {
  std::string path = a.string(0);
  c10::optional<c10::Device> device;
  if (a.has(1)) device = a.device(1);
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) throw std::runtime_error("cannot open '" + path + "': " + std::strerror(errno));
  if (S_ISDIR(info.st_mode)) throw std::runtime_error("'" + path + "' is a directory, not a TorchScript file");
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, device);
  } catch (...) {
    throw std::runtime_error("'" + path + "' could not be loaded as a TorchScript module: " + reason());
  }
  LoadedTensorCheck(path).value(module._ivalue(), "", 0);
  return Napi::Number::New(a.env(), static_cast<double>(a.state().modules.add(std::move(module))));
}

TT_BINDING(jitSave) {
  torch::jit::Module& m = a.scriptModule(0);
  std::string path = a.string(1);
  try {
    m.save(path);
  } catch (...) {
    throw std::runtime_error("could not write '" + path + "': " + reason());
  }
  return a.undefined();
}

TT_BINDING(jitFree) {
  int64_t id = a.int64(0);
  a.state().modules.erase(id);
  return a.undefined();
}

TT_BINDING(jitNamedParameters) { return namedTensors(a, a.scriptModule(0).named_parameters(a.boolean(1, true))); }
TT_BINDING(jitNamedBuffers) { return namedTensors(a, a.scriptModule(0).named_buffers(a.boolean(1, true))); }

// jitNamedModules(id) -> [[dotted name, id], ...]: every submodule, pre-order as named_modules()
// lists them, each under a new id of its own. A submodule shares its object with the parent
// (not a copy), so its methods, parameters and training flag are the parent's.
TT_BINDING(jitNamedModules) {
  std::vector<std::pair<std::string, torch::jit::Module>> subs;
  for (const auto& sub : a.scriptModule(0).named_modules())
    if (!sub.name.empty()) subs.emplace_back(sub.name, sub.value);
  Napi::Array out = Napi::Array::New(a.env(), subs.size());
  for (size_t k = 0; k < subs.size(); k++) {
    int64_t id = a.state().modules.add(subs[k].second);
    Napi::Array pair = Napi::Array::New(a.env(), 2);
    pair.Set(0u, subs[k].first);
    pair.Set(1u, Napi::Number::New(a.env(), static_cast<double>(id)));
    out.Set(static_cast<uint32_t>(k), pair);
  }
  return out;
}

// jitTrain(id, mode, recursive = true): recursive is Module.train(); otherwise this module's own
// flag only, as the JS tree sets each submodule's flag itself.
TT_BINDING(jitTrain) {
  torch::jit::Module& m = a.scriptModule(0);
  bool mode = a.boolean(1, true);
  if (a.boolean(2, true)) m.train(mode);
  else if (m.hasattr("training")) m.setattr("training", mode);
  return a.undefined();
}

// The class name the module was scripted from, e.g. 'Linear' (Python's original_name).
TT_BINDING(jitTypeName) {
  auto name = a.scriptModule(0).type()->name();
  return a.ret(name ? name->name() : std::string("Module"));
}

TT_BINDING(jitIsTraining) { return a.ret(a.scriptModule(0).is_training()); }

TT_BINDING(jitForward) { return callMethod(a, a.scriptModule(0), "forward", 1); }
TT_BINDING(jitRunMethod) { return callMethod(a, a.scriptModule(0), a.string(1), 2); }

TT_BINDING(jitMethodNames) {
  auto methods = a.scriptModule(0).get_methods();
  Napi::Array out = Napi::Array::New(a.env(), methods.size());
  for (size_t k = 0; k < methods.size(); k++) out.Set(static_cast<uint32_t>(k), methods[k].name());
  return out;
}

// The method's schema as TorchScript prints it, e.g. "forward(__torch__.M self, Tensor x) -> Tensor".
TT_BINDING(jitMethodSchema) {
  torch::jit::Module& m = a.scriptModule(0);
  std::ostringstream text;
  text << methodOf(a, m, a.string(1)).function().getSchema();
  return a.ret(text.str());
}

}  // namespace

namespace tt {
void registerJit(Napi::Env, Napi::Object e) {
  TT_EXPORT(e, jitLoad); TT_EXPORT(e, jitSave); TT_EXPORT(e, jitFree);
  TT_EXPORT(e, jitNamedParameters); TT_EXPORT(e, jitNamedBuffers); TT_EXPORT(e, jitNamedModules);
  TT_EXPORT(e, jitTrain); TT_EXPORT(e, jitIsTraining); TT_EXPORT(e, jitTypeName);
  TT_EXPORT(e, jitForward); TT_EXPORT(e, jitRunMethod); TT_EXPORT(e, jitMethodNames); TT_EXPORT(e, jitMethodSchema);
}
}  // namespace tt
