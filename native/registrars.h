// One registrar per binding file; addon.cpp calls them all at load.
#pragma once
#include <array>

#include "boundary.h"

namespace tt {
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
void registerOptim(Napi::Env, Napi::Object);
void registerAmp(Napi::Env, Napi::Object);

inline std::array<Registrar, 14> allRegistrars() {
  return {registerRuntime,  registerCreation, registerTensorData, registerPointwise, registerMath,     registerReduction,
          registerShape,    registerIndexing, registerAutograd,   registerDispatch,  registerNN,
          registerJit,      registerOptim,    registerAmp};
}
}  // namespace tt
