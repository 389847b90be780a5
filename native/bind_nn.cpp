// The torch.nn.functional kernels: convolution, pooling, normalisation, embedding, dropout,
// activations, losses and attention. Each calls the same ATen entry point Python's F.* does,
// so results and gradients match PyTorch bit for bit.
#include "boundary.h"
#include "compat.h"
#include "registrars.h"

namespace {

c10::optional<at::Tensor> optT(tt::Args& a, size_t i) { return tt::compat::opt(a.optTensor(i)); }

// Reductions are passed as strings, as in Python ('none', 'mean', 'sum').
int64_t reduction(tt::Args& a, size_t i) {
  std::string r = a.has(i) ? a.string(i) : "mean";
  if (r == "none") return at::Reduction::None;
  if (r == "mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  a.rangeError(i, "(reduction) must be 'none', 'mean' or 'sum', got '" + r + "'");
}

// conv1d/conv2d(x, weight, bias?, stride, padding (ints or 'same'/'valid'), dilation, groups)
template <at::Tensor (*IntPad)(const at::Tensor&, const at::Tensor&, const c10::optional<at::Tensor>&, at::IntArrayRef,
                               at::IntArrayRef, at::IntArrayRef, int64_t),
          at::Tensor (*StrPad)(const at::Tensor&, const at::Tensor&, const c10::optional<at::Tensor>&, at::IntArrayRef,
                               c10::string_view, at::IntArrayRef, int64_t)>
Napi::Value conv(tt::Args& a) {
  const at::Tensor& x = a.tensor(0);
  const at::Tensor& w = a.tensor(1);
  auto bias = optT(a, 2);
  auto stride = a.ints(3), dilation = a.ints(5);
  int64_t groups = a.int64(6);
  if (a.size() > 4 && a[4].IsString()) {
    std::string mode = a.string(4);
    return a.ret(StrPad(x, w, bias, stride, c10::string_view(mode.data(), mode.size()), dilation, groups));
  }
  return a.ret(IntPad(x, w, bias, stride, a.ints(4), dilation, groups));
}

at::Tensor conv1dInt(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef s,
                     at::IntArrayRef p, at::IntArrayRef d, int64_t g) { return at::conv1d(x, w, b, s, p, d, g); }
at::Tensor conv1dStr(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef s,
                     c10::string_view p, at::IntArrayRef d, int64_t g) { return at::conv1d(x, w, b, s, p, d, g); }
at::Tensor conv2dInt(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef s,
                     at::IntArrayRef p, at::IntArrayRef d, int64_t g) { return at::conv2d(x, w, b, s, p, d, g); }
at::Tensor conv2dStr(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, at::IntArrayRef s,
                     c10::string_view p, at::IntArrayRef d, int64_t g) { return at::conv2d(x, w, b, s, p, d, g); }

TT_BINDING(conv1d) { return conv<conv1dInt, conv1dStr>(a); }
TT_BINDING(conv2d) { return conv<conv2dInt, conv2dStr>(a); }

// convTranspose2d(x, weight, bias?, stride, padding, outputPadding, groups, dilation)
TT_BINDING(convTranspose2d) {
  return a.ret(at::conv_transpose2d(a.tensor(0), a.tensor(1), optT(a, 2), a.ints(3), a.ints(4), a.ints(5), a.int64(6), a.ints(7)));
}

// maxPool2d(x, kernel, stride, padding, dilation, ceilMode)
TT_BINDING(maxPool2d) {
  return a.ret(at::max_pool2d(a.tensor(0), a.ints(1), a.ints(2), a.ints(3), a.ints(4), a.boolean(5, false)));
}

// avgPool2d(x, kernel, stride, padding, ceilMode, countIncludePad, divisorOverride?)
TT_BINDING(avgPool2d) {
  return a.ret(at::avg_pool2d(a.tensor(0), a.ints(1), a.ints(2), a.ints(3), a.boolean(4, false), a.boolean(5, true),
                              tt::compat::opt(a.optInt64(6))));
}

TT_BINDING(adaptiveAvgPool2d) { return a.ret(at::adaptive_avg_pool2d(a.tensor(0), a.ints(1))); }

// batchNorm(x, weight?, bias?, runningMean?, runningVar?, training, momentum, eps)
TT_BINDING(batchNorm) {
  return a.ret(at::batch_norm(a.tensor(0), optT(a, 1), optT(a, 2), optT(a, 3), optT(a, 4), a.boolean(5), a.number(6), a.number(7),
                              /*cudnn_enabled=*/true));
}

// layerNorm(x, normalizedShape, weight?, bias?, eps)
TT_BINDING(layerNorm) {
  return a.ret(at::layer_norm(a.tensor(0), a.ints(1), optT(a, 2), optT(a, 3), a.number(4), /*cudnn_enable=*/true));
}

// groupNorm(x, numGroups, weight?, bias?, eps)
TT_BINDING(groupNorm) {
  return a.ret(at::group_norm(a.tensor(0), a.int64(1), optT(a, 2), optT(a, 3), a.number(4), /*cudnn_enabled=*/true));
}

// rmsNorm(x, normalizedShape, weight?, eps?): eps defaults to the dtype's machine epsilon.
TT_BINDING(rmsNorm) {
  auto eps = a.has(3) ? c10::optional<double>(a.number(3)) : c10::optional<double>();
  return a.ret(tt::compat::rmsNorm(a.tensor(0), a.ints(1), optT(a, 2), eps));
}

// embedding(weight, indices, paddingIdx (-1 for none), scaleGradByFreq, sparse)
TT_BINDING(embedding) {
  return a.ret(at::embedding(a.tensor(0), a.tensor(1), a.int64(2), a.boolean(3, false), a.boolean(4, false)));
}

// dropout(x, p, training)
TT_BINDING(dropout) {
  double p = a.number(1);
  if (!(p >= 0 && p <= 1)) a.rangeError(1, "(p) must be in [0, 1], got " + std::to_string(p));
  return a.ret(at::dropout(a.tensor(0), p, a.boolean(2)));
}

// gelu(x, approximate: 'none' | 'tanh')
TT_BINDING(gelu) {
  std::string approximate = a.has(1) ? a.string(1) : "none";
  if (approximate != "none" && approximate != "tanh") a.rangeError(1, "(approximate) must be 'none' or 'tanh'");
  return a.ret(at::gelu(a.tensor(0), c10::string_view(approximate.data(), approximate.size())));
}

TT_BINDING(logSigmoid) { return a.ret(at::log_sigmoid(a.tensor(0))); }
TT_BINDING(softplus) { return a.ret(at::softplus(a.tensor(0), a.scalar(1), a.scalar(2))); }
TT_BINDING(leakyRelu) { return a.ret(at::leaky_relu(a.tensor(0), a.scalar(1))); }
TT_BINDING(elu) { return a.ret(at::elu(a.tensor(0), a.scalar(1))); }
TT_BINDING(hardtanh) { return a.ret(at::hardtanh(a.tensor(0), a.scalar(1), a.scalar(2))); }

// ---- losses ----

// crossEntropy(input, target, weight?, reduction, ignoreIndex, labelSmoothing)
TT_BINDING(crossEntropy) {
  double smoothing = a.has(5) ? a.number(5) : 0.0;
  if (!(smoothing >= 0 && smoothing <= 1)) a.rangeError(5, "(labelSmoothing) must be in [0, 1]");
  return a.ret(at::cross_entropy_loss(a.tensor(0), a.tensor(1), optT(a, 2), reduction(a, 3), a.has(4) ? a.int64(4) : -100, smoothing));
}

// summedCrossEntropy(logits [..., C], targets [...], weight?, ignoreIndex, labelSmoothing)
//   -> [sum, counted, targets]: the engine's per-step loss in one call, nothing read to the host.
// sum: the cross entropy summed over the targets that are not ignoreIndex (logits upcast to
// float32 when half or bfloat16); counted: the divisor matching the sum (the number of such
// targets, or their summed class weight), a 0-d float64 tensor; targets: the number of such
// targets, a 0-d int64 tensor; all on the logits' device. The same ATen calls lib/loss would make
// one by one; fused because every call after a large forward pays for cold caches (about 3x a
// warm call here).
TT_BINDING(summedCrossEntropy) {
  at::Tensor logits = a.tensor(0);
  const at::Tensor& targets = a.tensor(1);
  auto weight = optT(a, 2);
  int64_t ignoreIndex = a.int64(3);
  double smoothing = a.number(4);
  if (!(smoothing >= 0 && smoothing <= 1)) a.rangeError(4, "(labelSmoothing) must be in [0, 1]");
  if (logits.dim() < 1) a.rangeError(0, "(logits) must have a class dimension");
  if (logits.scalar_type() == at::kHalf || logits.scalar_type() == at::kBFloat16) logits = logits.to(at::kFloat);
  int64_t classes = logits.size(-1);
  at::Tensor flatLogits = logits.dim() == 2 ? logits : logits.reshape({-1, classes});
  at::Tensor flatTargets = targets.dim() == 1 ? targets : targets.reshape({-1});
  at::Tensor valid = flatTargets.ne(ignoreIndex);
  at::Tensor count = valid.sum();  // int64
  at::Tensor counted;
  if (weight) {
    // Ignored targets may hold any id (-100, 255): look up a safe 0 and zero their weight.
    at::Tensor safe = at::where(valid, flatTargets, at::zeros({}, flatTargets.options()));
    counted = weight->index_select(0, safe).mul(valid).sum().to(at::kDouble);
  } else {
    counted = count.to(at::kDouble);
  }
  at::Tensor sum = at::cross_entropy_loss(flatLogits, flatTargets, weight, at::Reduction::Sum, ignoreIndex, smoothing);
  return a.ret(std::vector<at::Tensor>{std::move(sum), std::move(counted), std::move(count)});
}

// nllLoss(input, target, weight?, reduction, ignoreIndex)
TT_BINDING(nllLoss) {
  return a.ret(at::nll_loss_nd(a.tensor(0), a.tensor(1), optT(a, 2), reduction(a, 3), a.has(4) ? a.int64(4) : -100));
}

TT_BINDING(mseLoss) { return a.ret(at::mse_loss(a.tensor(0), a.tensor(1), reduction(a, 2))); }
TT_BINDING(l1Loss) { return a.ret(at::l1_loss(a.tensor(0), a.tensor(1), reduction(a, 2))); }
TT_BINDING(smoothL1Loss) { return a.ret(at::smooth_l1_loss(a.tensor(0), a.tensor(1), reduction(a, 2), a.has(3) ? a.number(3) : 1.0)); }
TT_BINDING(huberLoss) { return a.ret(at::huber_loss(a.tensor(0), a.tensor(1), reduction(a, 2), a.has(3) ? a.number(3) : 1.0)); }

// bceWithLogits(input, target, weight?, posWeight?, reduction)
TT_BINDING(bceWithLogits) {
  return a.ret(at::binary_cross_entropy_with_logits(a.tensor(0), a.tensor(1), optT(a, 2), optT(a, 3), reduction(a, 4)));
}

// klDiv(input, target, reduction ('none'|'mean'|'sum'), logTarget)
TT_BINDING(klDiv) { return a.ret(at::kl_div(a.tensor(0), a.tensor(1), reduction(a, 2), a.boolean(3, false))); }

// cosineSimilarity(x1, x2, dim, eps)
TT_BINDING(cosineSimilarity) { return a.ret(at::cosine_similarity(a.tensor(0), a.tensor(1), a.int64(2), a.number(3))); }

// sdpa(q, k, v, attnMask?, dropoutP, isCausal, scale?): libtorch's fused kernel where it has
// one (2.x), else the math reference PyTorch documents, step for step.
TT_BINDING(sdpa) {
  auto scale = a.has(6) ? c10::optional<double>(a.number(6)) : c10::optional<double>();
  return a.ret(tt::compat::scaledDotProductAttention(a.tensor(0), a.tensor(1), a.tensor(2), optT(a, 3), a.number(4), a.boolean(5), scale));
}

// setData(x, source): x keeps its identity (and autograd leaf-ness) but takes source's data,
// dtype and device: Python's `param.data = ...`, which Module.to() uses.
TT_BINDING(setData) {
  at::Tensor x = a.tensor(0);
  x.set_data(a.tensor(1));
  return a.undefined();
}

}  // namespace

namespace tt {
void registerNN(Napi::Env, Napi::Object e) {
  TT_EXPORT(e, conv1d); TT_EXPORT(e, conv2d); TT_EXPORT(e, convTranspose2d);
  TT_EXPORT(e, maxPool2d); TT_EXPORT(e, avgPool2d); TT_EXPORT(e, adaptiveAvgPool2d);
  TT_EXPORT(e, batchNorm); TT_EXPORT(e, layerNorm); TT_EXPORT(e, groupNorm); TT_EXPORT(e, rmsNorm);
  TT_EXPORT(e, embedding); TT_EXPORT(e, dropout); TT_EXPORT(e, gelu); TT_EXPORT(e, logSigmoid); TT_EXPORT(e, softplus);
  TT_EXPORT(e, leakyRelu); TT_EXPORT(e, elu); TT_EXPORT(e, hardtanh);
  TT_EXPORT(e, crossEntropy); TT_EXPORT(e, summedCrossEntropy); TT_EXPORT(e, nllLoss); TT_EXPORT(e, mseLoss); TT_EXPORT(e, l1Loss);
  TT_EXPORT(e, smoothL1Loss); TT_EXPORT(e, huberLoss); TT_EXPORT(e, bceWithLogits); TT_EXPORT(e, klDiv);
  TT_EXPORT(e, cosineSimilarity); TT_EXPORT(e, sdpa); TT_EXPORT(e, setData);
}
}  // namespace tt
