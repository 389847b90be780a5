// Process-level bindings: build and runtime info, the handle table's bookkeeping, random
// generators, threads, CUDA presence, the CUDA caching allocator's statistics and grad mode.
#include <ATen/CPUGeneratorImpl.h>
#include <unordered_set>

#include "boundary.h"
#include "compat.h"
#include "registrars.h"

// The CUDA caching allocator's statistics are read through c10's device-generic DeviceAllocator
// (libtorch 2.9+), which needs no CUDA toolkit headers: the PyPI wheel ships c10/cuda headers that
// include cuda_runtime_api.h, absent on machines without a toolkit. Older libtorch (Debian's 1.13,
// CPU-only) reports no statistics (the bindings return null), like a machine without CUDA.
#if TT_TORCH_AT_LEAST(2, 9)
#include <c10/core/CachingDeviceAllocator.h>
#define TT_CUDA_MEMORY_STATS 1
#else
#define TT_CUDA_MEMORY_STATS 0
#endif

#ifndef TORCHTRAIN_VERSION
#define TORCHTRAIN_VERSION "unknown"
#endif
#ifndef TT_LINKED_CUDA
#define TT_LINKED_CUDA 0
#endif

namespace {

TT_BINDING(setErrorClasses) {
  if (!a[0].IsFunction() || !a[1].IsFunction()) a.typeError(0, "two error constructors (TorchError, OutOfMemoryError)");
  a.state().torchErrorCtor = Napi::Persistent(a[0].As<Napi::Function>());
  a.state().oomErrorCtor = Napi::Persistent(a[1].As<Napi::Function>());
  return a.undefined();
}

TT_BINDING(free) {
  if (a.size() < 1) a.typeError(0, "a tensor handle");
  tt::release(a.state(), a.env(), tt::handleFromValue(a[0], a.fn(), 0));
  return a.undefined();
}

// Frees many handles in one crossing: a scope closing frees all of its tensors at once.
TT_BINDING(freeMany) {
  if (a.size() < 1 || !a[0].IsTypedArray() || a[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    a.typeError(0, "an Int32Array of tensor handles");
  Napi::Int32Array handles = a[0].As<Napi::Int32Array>();
  for (size_t k = 0; k < handles.ElementLength(); k++) tt::release(a.state(), a.env(), handles[k]);
  return a.undefined();
}

// Live handles, their bytes, and the bytes of the distinct storages behind them (views share one).
TT_BINDING(memory) {
  auto& s = a.state();
  std::unordered_set<const void*> seen;
  int64_t storageBytes = 0;
  for (const auto& t : s.slots) {
    if (!t.defined() || !t.has_storage()) continue;
    const void* key = t.storage().unsafeGetStorageImpl();
    if (seen.insert(key).second) storageBytes += static_cast<int64_t>(t.storage().nbytes());
  }
  Napi::Object out = Napi::Object::New(a.env());
  out.Set("tensors", Napi::Number::New(a.env(), static_cast<double>(s.live)));
  out.Set("bytes", Napi::Number::New(a.env(), static_cast<double>(s.liveBytes)));
  out.Set("storages", Napi::Number::New(a.env(), static_cast<double>(seen.size())));
  out.Set("storageBytes", Napi::Number::New(a.env(), static_cast<double>(storageBytes)));
  out.Set("tableSize", Napi::Number::New(a.env(), static_cast<double>(s.slots.size())));
  out.Set("reportedToV8", Napi::Number::New(a.env(), static_cast<double>(s.reportedBytes)));
  out.Set("environments", Napi::Number::New(a.env(), static_cast<double>(tt::liveEnvironments())));
  return out;
}

TT_BINDING(info) {
  Napi::Env env = a.env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("torchtrainVersion", TORCHTRAIN_VERSION);
  out.Set("libtorchVersion", std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                                 std::to_string(TORCH_VERSION_PATCH));
  out.Set("cxx11Abi", Napi::Boolean::New(env, _GLIBCXX_USE_CXX11_ABI != 0));
  out.Set("cudaLinked", Napi::Boolean::New(env, TT_LINKED_CUDA != 0));
  out.Set("cudaAvailable", Napi::Boolean::New(env, torch::cuda::is_available()));
  out.Set("cudaDeviceCount", Napi::Number::New(env, static_cast<double>(torch::cuda::device_count())));
  out.Set("numThreads", Napi::Number::New(env, at::get_num_threads()));
  out.Set("numInteropThreads", Napi::Number::New(env, at::get_num_interop_threads()));
  out.Set("parallelInfo", at::get_parallel_info());
  out.Set("mkldnn", Napi::Boolean::New(env, at::hasMKLDNN()));
  out.Set("mkl", Napi::Boolean::New(env, at::hasMKL()));
  return out;
}

uint64_t seedValue(tt::Args& a, size_t i) {
  if (a.size() > i && a[i].IsBigInt()) {
    bool lossless = false;
    uint64_t v = a[i].As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) {
      int64_t signedValue = a[i].As<Napi::BigInt>().Int64Value(&lossless);
      if (!lossless) a.rangeError(i, "is outside the 64-bit seed range");
      v = static_cast<uint64_t>(signedValue);  // negative seeds wrap, as in Python
    }
    return v;
  }
  return static_cast<uint64_t>(a.int64(i));
}

TT_BINDING(manualSeed) {
  torch::manual_seed(seedValue(a, 0));
  return a.undefined();
}

TT_BINDING(initialSeed) {
  auto gen = at::detail::getDefaultCPUGenerator();
  return Napi::BigInt::New(a.env(), gen.current_seed());
}

// Seeds from a non-deterministic source and returns the seed (torch.seed()).
TT_BINDING(seed) {
  auto gen = at::detail::getDefaultCPUGenerator();
  uint64_t s;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    s = gen.seed();
  }
  return Napi::BigInt::New(a.env(), s);
}

// The index N of a 'cuda' / 'cuda:N' device name (-1 for plain 'cuda': the current device), or
// the range error naming what is accepted.
int64_t cudaIndexOf(tt::Args& a, size_t i, const std::string& name, const char* accepted) {
  auto refuse = [&]() { a.rangeError(i, std::string("must be ") + accepted + ", got '" + name + "'"); };
  if (name.rfind("cuda", 0) != 0) refuse();
  if (name.size() == 4) return -1;
  if (name[4] != ':' || name.size() == 5 || name.size() > 9 || name.find_first_not_of("0123456789", 5) != std::string::npos) refuse();
  return std::stoll(name.substr(5));
}

// Refuses a CUDA device index that is not there; plain 'cuda' (-1) becomes device 0.
int64_t visibleCudaIndex(tt::Args& a, size_t i, int64_t index, const std::string& name) {
  auto count = static_cast<int64_t>(at::getNumGPUs());
  if (!at::hasCUDA() || index >= count) a.rangeError(i, "names a CUDA device that is not there (" + std::to_string(count) + " visible): '" + name + "'");
  return index < 0 ? 0 : index;
}

// The generator of a device: the CPU's (no argument), or a CUDA device's ('cuda', 'cuda:N').
at::Generator generatorArg(tt::Args& a, size_t i) {
  if (a.size() <= i || a[i].IsUndefined() || a[i].IsNull()) return at::detail::getDefaultCPUGenerator();
  std::string name = a.string(i);
  if (name == "cpu") return at::detail::getDefaultCPUGenerator();
  int64_t index = visibleCudaIndex(a, i, cudaIndexOf(a, i, name, "'cpu', 'cuda' or 'cuda:N'"), name);
  return at::globalContext().defaultGenerator(at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index)));
}

// getRngState(device?) -> the generator's state bytes (torch.get_rng_state / torch.cuda.get_rng_state)
TT_BINDING(getRngState) {
  auto gen = generatorArg(a, 0);
  at::Tensor st;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    st = gen.get_state();
  }
  auto bytes = static_cast<size_t>(st.numel());
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(a.env(), bytes);
  std::memcpy(buf.Data(), st.data_ptr(), bytes);
  return buf;
}

// setRngState(state, device?)
TT_BINDING(setRngState) {
  if (a.size() < 1 || !a[0].IsTypedArray()) a.typeError(0, "a Uint8Array from torch.getRngState()");
  Napi::Uint8Array arr = a[0].As<Napi::Uint8Array>();
  at::Tensor st = at::empty({static_cast<int64_t>(arr.ByteLength())}, at::kByte);
  std::memcpy(st.data_ptr(), arr.Data(), arr.ByteLength());
  auto gen = generatorArg(a, 1);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(st);  // rejects a state of the wrong size with a c10::Error
  return a.undefined();
}

TT_BINDING(setNumThreads) {
  int64_t n = a.int64(0);
  if (n < 1 || n > 1024) a.rangeError(0, "must be between 1 and 1024, got " + std::to_string(n));
  at::set_num_threads(static_cast<int>(n));
  return a.undefined();
}

TT_BINDING(getNumThreads) { return Napi::Number::New(a.env(), at::get_num_threads()); }

TT_BINDING(setNumInteropThreads) {
  int64_t n = a.int64(0);
  if (n < 1 || n > 1024) a.rangeError(0, "must be between 1 and 1024, got " + std::to_string(n));
  at::set_num_interop_threads(static_cast<int>(n));  // throws once inter-op work has started
  return a.undefined();
}

TT_BINDING(getNumInteropThreads) { return Napi::Number::New(a.env(), at::get_num_interop_threads()); }

TT_BINDING(cudaIsAvailable) { return Napi::Boolean::New(a.env(), torch::cuda::is_available()); }

TT_BINDING(cudaDeviceCount) { return Napi::Number::New(a.env(), static_cast<double>(torch::cuda::device_count())); }

TT_BINDING(cudaManualSeed) {
  torch::cuda::manual_seed_all(seedValue(a, 0));
  return a.undefined();
}

TT_BINDING(cudaSynchronize) {
  if (torch::cuda::is_available()) {
    int64_t device = a.has(0) ? a.int64(0) : -1;
    torch::cuda::synchronize(device);
  }
  return a.undefined();
}

// The CUDA device named at i ('cuda' or 'cuda:N'; absent: the current one), or nullopt where
// there are no statistics to read (no CUDA on this machine or in this libtorch). A malformed
// name is refused everywhere, so a typo shows on a CPU machine too.
std::optional<c10::DeviceIndex> cudaStatsDevice(tt::Args& a, size_t i) {
  int64_t index = -1;
  std::string name = "cuda";
  if (a.has(i)) {
    name = a.string(i);
    index = cudaIndexOf(a, i, name, "'cuda' or 'cuda:N' (CUDA memory statistics)");
  }
  if (!TT_CUDA_MEMORY_STATS || !torch::cuda::is_available()) return std::nullopt;
  if (index < 0) return c10::DeviceIndex(-1);
  return static_cast<c10::DeviceIndex>(visibleCudaIndex(a, i, index, name));
}

#if TT_CUDA_MEMORY_STATS
c10::DeviceIndex currentCudaIndex() { return c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA)->getDevice().index(); }
#endif

// cudaMemoryStats(device?) -> { allocatedBytes, peakAllocatedBytes, reservedBytes, peakReservedBytes }
// or null: the caching allocator's aggregate counters, as torch.cuda.memory_stats() reports them.
TT_BINDING(cudaMemoryStats) {
  auto device = cudaStatsDevice(a, 0);
  if (!device) return a.env().Null();
#if TT_CUDA_MEMORY_STATS
  c10::DeviceIndex index = *device >= 0 ? *device : currentCudaIndex();
  auto* allocator = c10::getDeviceAllocator(c10::DeviceType::CUDA);
  auto stats = allocator->getDeviceStats(index);
  const auto aggregate = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);
  Napi::Object out = Napi::Object::New(a.env());
  out.Set("device", Napi::Number::New(a.env(), index));
  out.Set("allocatedBytes", Napi::Number::New(a.env(), static_cast<double>(stats.allocated_bytes[aggregate].current)));
  out.Set("peakAllocatedBytes", Napi::Number::New(a.env(), static_cast<double>(stats.allocated_bytes[aggregate].peak)));
  out.Set("reservedBytes", Napi::Number::New(a.env(), static_cast<double>(stats.reserved_bytes[aggregate].current)));
  out.Set("peakReservedBytes", Napi::Number::New(a.env(), static_cast<double>(stats.reserved_bytes[aggregate].peak)));
  return out;
#else
  return a.env().Null();
#endif
}

// cudaResetPeakMemoryStats(device?) -> true, or false where there are no statistics.
TT_BINDING(cudaResetPeakMemoryStats) {
  auto device = cudaStatsDevice(a, 0);
  if (!device) return Napi::Boolean::New(a.env(), false);
#if TT_CUDA_MEMORY_STATS
  c10::DeviceIndex index = *device >= 0 ? *device : currentCudaIndex();
  c10::getDeviceAllocator(c10::DeviceType::CUDA)->resetPeakStats(index);
  return Napi::Boolean::New(a.env(), true);
#else
  return Napi::Boolean::New(a.env(), false);
#endif
}

TT_BINDING(setGradEnabled) {
  at::GradMode::set_enabled(a.boolean(0));
  return a.undefined();
}

TT_BINDING(isGradEnabled) { return Napi::Boolean::New(a.env(), at::GradMode::is_enabled()); }

}  // namespace

namespace tt {
void registerRuntime(Napi::Env, Napi::Object e) {
  TT_EXPORT(e, setErrorClasses);
  TT_EXPORT(e, free);
  TT_EXPORT(e, freeMany);
  TT_EXPORT(e, memory);
  TT_EXPORT(e, info);
  TT_EXPORT(e, manualSeed);
  TT_EXPORT(e, initialSeed);
  TT_EXPORT(e, seed);
  TT_EXPORT(e, getRngState);
  TT_EXPORT(e, setRngState);
  TT_EXPORT(e, setNumThreads);
  TT_EXPORT(e, getNumThreads);
  TT_EXPORT(e, setNumInteropThreads);
  TT_EXPORT(e, getNumInteropThreads);
  TT_EXPORT(e, cudaIsAvailable);
  TT_EXPORT(e, cudaDeviceCount);
  TT_EXPORT(e, cudaManualSeed);
  TT_EXPORT(e, cudaSynchronize);
  TT_EXPORT(e, cudaMemoryStats);
  TT_EXPORT(e, cudaResetPeakMemoryStats);
  TT_EXPORT(e, setGradEnabled);
  TT_EXPORT(e, isGradEnabled);
}
}  // namespace tt
