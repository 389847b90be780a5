// Autocast state (torch.autocast's __enter__/__exit__ steps, exposed separately so the JS layer
// can restore the previous state on exceptions and around awaits).
#include "boundary.h"
#include "compat.h"
#include "registrars.h"

namespace {

at::DeviceType deviceTypeArg(tt::Args& a, size_t i) {
  std::string d = a.string(i);
  if (d == "cpu") return at::kCPU;
  if (d == "cuda") return at::kCUDA;
  a.rangeError(i, "must be 'cpu' or 'cuda', got '" + d + "'");
}

// autocastGet(deviceType) -> { enabled, dtype (code), cacheEnabled }
TT_BINDING(autocastGet) {
  at::DeviceType d = deviceTypeArg(a, 0);
  Napi::Object o = Napi::Object::New(a.env());
  o.Set("enabled", Napi::Boolean::New(a.env(), tt::compat::autocastEnabled(d)));
  o.Set("dtype", Napi::Number::New(a.env(), static_cast<int>(tt::compat::autocastDtype(d))));
  o.Set("cacheEnabled", Napi::Boolean::New(a.env(), at::autocast::is_autocast_cache_enabled()));
  return o;
}

// autocastEnter(deviceType, enabled, dtype, cacheEnabled): sets the state and bumps nesting.
TT_BINDING(autocastEnter) {
  at::DeviceType d = deviceTypeArg(a, 0);
  bool enabled = a.boolean(1);
  at::ScalarType dtype = a.dtype(2);
  if (dtype != at::kHalf && dtype != at::kBFloat16) a.rangeError(2, "must be float16 or bfloat16");
  tt::compat::setAutocastEnabled(d, enabled);
  tt::compat::setAutocastDtype(d, dtype);
  at::autocast::increment_nesting();
  at::autocast::set_autocast_cache_enabled(a.boolean(3, true));
  return a.undefined();
}

// autocastExit(deviceType, prevEnabled, prevDtype, prevCacheEnabled): the outermost exit clears
// the cast-weights cache, as torch.autocast does.
TT_BINDING(autocastExit) {
  at::DeviceType d = deviceTypeArg(a, 0);
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  tt::compat::setAutocastEnabled(d, a.boolean(1));
  tt::compat::setAutocastDtype(d, a.dtype(2));
  at::autocast::set_autocast_cache_enabled(a.boolean(3, true));
  return a.undefined();
}

}  // namespace

namespace tt {
void registerAmp(Napi::Env, Napi::Object e) {
  TT_EXPORT(e, autocastGet);
  TT_EXPORT(e, autocastEnter);
  TT_EXPORT(e, autocastExit);
}
}  // namespace tt
