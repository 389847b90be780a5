// Module entry: sets up this environment's tensor table and registers every binding file.
#include "boundary.h"
#include "registrars.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tt::initState(env);
  for (tt::Registrar registrar : tt::allRegistrars()) registrar(env, exports);
  return exports;
}

NODE_API_MODULE(torchtrain, Init)
