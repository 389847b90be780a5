// Module entry: process settings (once), this environment's state (boundary.cpp), then every
// binding file's functions.
#include "boundary.h"
#include "registrars.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tt::tuneMalloc();
  tt::initState(env);
  for (tt::Registrar registrar : tt::allRegistrars()) registrar(env, exports);
  return exports;
}

NODE_API_MODULE(torchtrain, Init)
