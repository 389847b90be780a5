// What addon.cpp runs when the addon loads: process settings, then one registrar per binding file.
#pragma once
#include <array>

#include "boundary.h"

namespace tt {
// glibc malloc thresholds, once per process (malloc_tuning.cpp); TORCHTRAIN_MALLOC_TUNING=0 skips it.
void tuneMalloc();

void registerRuntime(Napi::Env, Napi::Object);
void registerCreation(Napi::Env, Napi::Object);
void registerTensorData(Napi::Env, Napi::Object);
void registerPointwise(Napi::Env, Napi::Object);
void registerMath(Napi::Env, Napi::Object);
void registerReduction(Napi::Env, Napi::Object);
void registerShape(Napi::Env, Napi::Object);
void registerIndexing(Napi::Env, Napi::Object);
void registerAutograd(Napi::Env, Napi::Object);
void registerDispatch(Napi::Env, Napi::Object);
void registerNN(Napi::Env, Napi::Object);
void registerJit(Napi::Env, Napi::Object);
void registerOptimizer(Napi::Env, Napi::Object);
void registerClip(Napi::Env, Napi::Object);
void registerGradScaler(Napi::Env, Napi::Object);
void registerOptimizerStep(Napi::Env, Napi::Object);
void registerAmp(Napi::Env, Napi::Object);
void registerDistributed(Napi::Env, Napi::Object);
void registerProfiler(Napi::Env, Napi::Object);

inline std::array<Registrar, 19> allRegistrars() {
  return {registerRuntime,   registerCreation, registerTensorData, registerPointwise,     registerMath,
          registerReduction, registerShape,    registerIndexing,   registerAutograd,      registerDispatch,
          registerNN,        registerJit,      registerOptimizer,  registerClip,          registerGradScaler,
          registerOptimizerStep, registerAmp, registerDistributed, registerProfiler};
}
}  // namespace tt
