# torchtrain's benchmark config for nanoGPT's train.py: nanoGPT's own CPU settings from its README
# ("python train.py config/train_shakespeare_char.py --device=cpu --compile=False --eval_iters=20
# --log_interval=1 --block_size=64 --batch_size=12 --n_layer=4 --n_head=4 --n_embd=128
# --max_iters=2000 --lr_decay_iters=2000 --dropout=0.0") on Moby-Dick characters instead of
# Shakespeare's (prepare_moby_dick.py writes data/moby_dick_char/). Evaluation only at iteration 0,
# on one batch, so that the logged iteration times are training steps.
out_dir = 'out-moby-dick-char'
eval_interval = 1000000
eval_iters = 1
log_interval = 1
always_save_checkpoint = False
wandb_log = False

dataset = 'moby_dick_char'
gradient_accumulation_steps = 1
batch_size = 12
block_size = 64

n_layer = 4
n_head = 4
n_embd = 128
dropout = 0.0

learning_rate = 1e-3
max_iters = 2000
lr_decay_iters = 2000
min_lr = 1e-4
beta2 = 0.99
warmup_iters = 100

device = 'cpu'
compile = False
dtype = 'float32'  # train.py's default is float16 when CUDA is missing (a disabled GradScaler on CPU)
