// Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_) over parameters' grads.
#include "boundary.h"
#include "optimizers.h"
#include "registrars.h"

namespace {

// clipGradNorm(params, maxNorm, normType, errorIfNonfinite) -> total norm (a 0-d tensor)
TT_BINDING(clipGradNorm) {
  auto grads = tt::optim::gradsOf(a.tensors(0));
  return a.ret(tt::optim::clipGradNorm(grads, a.number(1), a.number(2), a.boolean(3, false)));
}

// clipGradValue(params, clipValue)
TT_BINDING(clipGradValue) {
  tt::optim::clipGradValue(tt::optim::gradsOf(a.tensors(0)), a.number(1));
  return a.undefined();
}

}  // namespace

namespace tt {
void registerClip(Napi::Env, Napi::Object e) {
  TT_EXPORT(e, clipGradNorm);
  TT_EXPORT(e, clipGradValue);
}
}  // namespace tt
