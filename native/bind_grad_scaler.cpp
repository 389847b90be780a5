// The loss scaler's two kernels (torch.amp.GradScaler): unscale gradients while flagging any
// inf/NaN, and update the scale from that flag. The state tensors belong to the JS GradScaler.
#include "boundary.h"
#include "optimizers.h"
#include "registrars.h"

namespace {

// gradScalerUnscale(params, foundInf, invScale)
TT_BINDING(gradScalerUnscale) {
  at::Tensor foundInf = a.tensor(1);
  tt::optim::unscaleAndCheck(tt::optim::gradsOf(a.tensors(0)), foundInf, a.tensor(2));
  return a.undefined();
}

// gradScalerUpdate(scale, growthTracker, foundInf, growthFactor, backoffFactor, growthInterval)
TT_BINDING(gradScalerUpdate) {
  at::Tensor scale = a.tensor(0), tracker = a.tensor(1);
  tt::optim::updateScale(scale, tracker, a.tensor(2), a.number(3), a.number(4), a.int64(5));
  return a.undefined();
}

}  // namespace

namespace tt {
void registerGradScaler(Napi::Env, Napi::Object e) {
  TT_EXPORT(e, gradScalerUnscale);
  TT_EXPORT(e, gradScalerUpdate);
}
}  // namespace tt
