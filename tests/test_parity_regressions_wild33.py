"""PyTorch programs of the kinds tutorials, blogs and courses write, run unchanged under
``python -m torchless.as_torch`` and compared with PyTorch running the same script: every printed line and, to
float32's precision, the tensors each program keeps (see helpers.same_program). Several programs share one script so
that PyTorch is imported once per test.

- Generative models and interpretability: a DCGAN on random data (ConvTranspose2d, BatchNorm, LeakyReLU,
  BCEWithLogits, two Adam optimizers), Grad-CAM and Grad-CAM++ weights through forward and full backward hooks,
  saliency maps, SmoothGrad and guided backpropagation, feature visualisation by optimising the input (jitter, blur,
  octaves), neural style transfer with Gram matrices and LBFGS (and LBFGS's strong Wolfe line search on Rosenbrock),
  full backward hooks on modules with several inputs, used twice, under checkpoint, and their refusals.
- Training recipes: a small ResNet on CIFAR-shaped data with OneCycleLR, gradient accumulation and clipping,
  MobileNetV2's inverted residuals (ReLU6, depthwise) with weight averages (AveragedModel with EMA functions and
  buffers, SWALR, update_bn), torch.utils.checkpoint, a ViT (Conv2d patch embedding, nn.TransformerEncoder, AdamW
  parameter groups, warmup-cosine LambdaLR), early stopping with ReduceLROnPlateau, tqdm and hand-written metrics
  (precision, recall, F1, AUROC), SimCLR's NT-Xent loss with a custom LARS optimizer, GradScaler on the CPU, a
  capsule network (squash, dynamic routing, broadcast matmul, margin loss, masked reconstruction).
- Saving and utilities: torch.save and torch.load of a whole module, of state dicts with weights_only=True, and of
  checkpoints; nn.utils.prune (random, L1, structured, global, custom methods); fine-tuning with frozen layers and
  parameter groups; parametrizations, conv-bn fusion, torch.func, initialisations and gradient clipping; an ESPCN
  super-resolution model with SSIM and PSNR; a SegNet with MaxUnpool2d, the padding modes and the rarer pooling,
  padding, folding and dropout modules.
- Data: IterableDataset with workers, samplers (WeightedRandomSampler, DistributedSampler, batch samplers),
  default_collate, pad_sequence, random_split and seeded workers; every LR scheduler in a loop, custom ones, and
  their state dicts; k-fold cross-validation with test-time augmentation, a CSV submission and matplotlib plots.
- ImageFolder over a directory of PNG files with transforms and a WeightedRandomSampler (torchvision is not installed
  beside the oracle: the images are checked against Pillow's pixels).

Seen and left (they are not behaviours these programs depend on):

- Gradients that are rounding noise (the bias of a layer right before a batch, group or instance norm, which the norm
  cancels) differ between the libraries, and Adam scales noise up to steps of the learning rate's size, so such
  biases and the running means after them drift apart; the programs here leave those biases out or train with SGD.
- Floats summed or dotted in a different order (PyTorch's vectorised reductions and MKL's dot, torchless's NumPy)
  and GELU's float32 values (PyTorch runs oneDNN's gelu_erf on contiguous float32 inputs) differ in the last bits;
  loops that amplify them (LBFGS's line search, a maximum pooling's ties flipping, many steps) print fewer digits.
- torchless has no bfloat16 tensors: autocast(device_type="cpu") warns and computes in float32.
"""
import os

import pytest

from helpers import run_python, same_program


def _script(*programs):
    """The programs one after the other in one script, keeping their tensors in ``results`` for same_program."""
    return "results = {}\n" + "".join(programs) + "import torch\ntorch.save(results, 'results.pt')\n"


def test_generative_models_and_interpretability(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    # Style transfer's image, optimised in float32 by two LBFGS steps of eight iterations, carries the first
    # differences of its Gram matrices (torch.mm of 1024 products, summed in an order MKL chooses per CPU: on an AMD
    # EPYC a few ulps from torchless's) multiplied some hundred times: 2.7e-5 apart on pixels of [0, 1] there
    # (PyTorch's own image moves 3e-6 when one of its input images moves by one ulp; its float64 run ends 0.14
    # away). Its printed losses and every other program's tensors keep the usual comparison.
    same_program(tmp_path, monkeypatch,
                 _script(DCGAN, GRAD_CAM, FEATURE_VISUALISATION, STYLE_TRANSFER, BACKWARD_HOOKS),
                 rtol={"style_transfer/out": 1e-3})


def test_training_recipes(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    pytest.importorskip("tqdm")
    same_program(tmp_path, monkeypatch, _script(RESNET_ONE_CYCLE, MOBILENET_EMA, CHECKPOINT, VIT, EARLY_STOPPING,
                                                SIMCLR_LARS, GRAD_SCALER, CAPSULE_NETWORK))


def test_saving_pruning_freezing_and_utilities(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    same_program(tmp_path, monkeypatch, _script(SAVE_LOAD, PRUNING, FREEZING, NN_UTILS, SUPER_RESOLUTION, SEGNET))


def test_data_pipelines_samplers_schedulers_and_k_fold_inference(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    same_program(tmp_path, monkeypatch, _script(DATA_PIPELINE, WEIGHTED_SAMPLER, SCHEDULERS, K_FOLD_AND_TTA))


def test_image_folder_with_transforms_and_a_weighted_sampler(tmp_path):
    pytest.importorskip("PIL")
    (tmp_path / "script.py").write_text(IMAGE_FOLDER)
    printed, _ = run_python(["-m", "torchless.as_torch", "script.py"], cwd=tmp_path)
    # (the indices drawn are PyTorch's for that generator: WEIGHTED_SAMPLER compares the sampler with PyTorch's)
    assert printed.splitlines() == [
        "['cat', 'dog', 'zebra'] {'cat': 0, 'dog': 1, 'zebra': 2} 11 [0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 2]",
        f"{[os.path.join('data', 'cat', f'cat_0{i}.png') for i in range(3)]}",
        "True",
        "[10, 8, 6, 10, 7, 9, 3, 6, 7, 5, 6, 3] [[2, 2, 1, 2], [1, 2, 0, 1], [1, 0, 1, 0]]",
        "True",
        "8 0 torchless.uint8 (3, 20, 24) True",
    ]


# The programs, each as a script starts: imports, a seed, its classes and its loop.

DCGAN = r'''
import torch
import torch.nn as nn
import torch.optim as optim
import torch.nn.functional as F

torch.manual_seed(42)
nz, ngf, ndf, nc = 16, 8, 8, 3


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False),
        )

    def forward(self, input):
        return self.main(input).view(-1, 1).squeeze(1)


netG = Generator()
netG.apply(weights_init)
netD = Discriminator()
netD.apply(weights_init)
print(netG)
print(sum(p.numel() for p in netG.parameters()), sum(p.numel() for p in netD.parameters()))

criterion = nn.BCEWithLogitsLoss()
fixed_noise = torch.randn(4, nz, 1, 1)
real_label, fake_label = 1., 0.
optimizerD = optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
data = torch.rand(32, nc, 32, 32) * 2 - 1
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data), batch_size=8, shuffle=True)

G_losses, D_losses = [], []
for epoch in range(2):
    for i, (real,) in enumerate(loader):
        netD.zero_grad()
        b_size = real.size(0)
        label = torch.full((b_size,), real_label, dtype=torch.float)
        output = netD(real)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = torch.sigmoid(output).mean().item()
        noise = torch.randn(b_size, nz, 1, 1)
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = torch.sigmoid(output).mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = torch.sigmoid(output).mean().item()
        optimizerG.step()
        print('[%d/%d][%d/%d]\tLoss_D: %.4f\tLoss_G: %.4f\tD(x): %.4f\tD(G(z)): %.4f / %.4f'
              % (epoch, 2, i, len(loader), errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))
        G_losses.append(errG.item())
        D_losses.append(errD.item())

with torch.no_grad():
    fake = netG(fixed_noise).detach().cpu()
print(fake.shape, fake.dtype, fake.min().item() >= -1, fake.max().item() <= 1)
print(f"{fake.mean().item():.5f} {fake.std().item():.5f}")
print(netG.main[1].running_mean[:4], netG.main[1].num_batches_tracked)
grid = torch.cat([f for f in fake], dim=2)
print(grid.shape)
results.update({"dcgan/fake": fake, "dcgan/w": netD.main[0].weight.detach()})
'''


GRAD_CAM = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F
import numpy as np

torch.manual_seed(0)


class SmallNet(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
            nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Linear(16, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


class GradCAM:
    def __init__(self, model, target_layer):
        self.model = model
        self.gradients = None
        self.activations = None
        self.handles = [
            target_layer.register_forward_hook(self.save_activation),
            target_layer.register_full_backward_hook(self.save_gradient),
        ]

    def save_activation(self, module, input, output):
        self.activations = output.detach()
        print("forward hook:", type(module).__name__, tuple(output.shape), type(input), len(input))

    def save_gradient(self, module, grad_input, grad_output):
        print("backward hook:", type(module).__name__, type(grad_input), len(grad_input), len(grad_output),
              grad_input[0] is None, tuple(grad_output[0].shape))
        self.gradients = grad_output[0].detach()

    def __call__(self, x, class_idx=None):
        self.model.zero_grad()
        logits = self.model(x)
        if class_idx is None:
            class_idx = logits.argmax(dim=1)
        one_hot = torch.zeros_like(logits)
        one_hot.scatter_(1, class_idx.view(-1, 1), 1.0)
        logits.backward(gradient=one_hot, retain_graph=True)
        weights = self.gradients.mean(dim=(2, 3), keepdim=True)
        cam = F.relu((weights * self.activations).sum(dim=1, keepdim=True))
        cam = F.interpolate(cam, size=x.shape[2:], mode='bilinear', align_corners=False)
        b = cam.shape[0]
        flat = cam.view(b, -1)
        mn, mx = flat.min(dim=1, keepdim=True)[0], flat.max(dim=1, keepdim=True)[0]
        cam = ((flat - mn) / (mx - mn + 1e-8)).view_as(cam)
        return cam, logits

    def remove(self):
        for h in self.handles:
            h.remove()


model = SmallNet()
model.eval()
x = torch.randn(2, 3, 16, 16)
gc = GradCAM(model, model.features[7])
cam, logits = gc(x)
print(cam.shape, logits.argmax(1).tolist())
print(np.round(cam[0, 0, ::4, ::4].numpy(), 3))
gc.remove()
print(model.features[7]._forward_hooks, model.features[6]._backward_hooks)

# Grad-CAM++ style weights from second/third powers
grads = gc.gradients
acts = gc.activations
alpha_num = grads.pow(2)
alpha_denom = 2 * grads.pow(2) + (acts * grads.pow(3)).sum(dim=(2, 3), keepdim=True)
alpha_denom = torch.where(alpha_denom != 0.0, alpha_denom, torch.ones_like(alpha_denom))
alphas = alpha_num / alpha_denom
weights = (alphas * F.relu(grads)).sum(dim=(2, 3))
print(weights.shape, f"{weights.abs().sum().item():.5f}")

# vanilla saliency and SmoothGrad
inp = x[:1].clone().requires_grad_(True)
out = model(inp)
score, idx = out.max(1)
score.backward()
saliency, _ = inp.grad.data.abs().max(dim=1)
print(saliency.shape, f"{saliency.sum().item():.5f}", idx.item())

smooth = torch.zeros_like(x[:1])
for i in range(8):
    noisy = (x[:1] + 0.1 * torch.randn_like(x[:1])).requires_grad_()
    o = model(noisy)
    o[0, idx].backward()
    smooth += noisy.grad
smooth /= 8
print(f"{smooth.abs().mean().item():.6f}")

# input x gradient and guided backprop with hooks on ReLU
def guided_relu_hook(module, grad_in, grad_out):
    return (torch.clamp(grad_in[0], min=0.0),)

handles = [m.register_full_backward_hook(guided_relu_hook) for m in model.modules() if isinstance(m, nn.ReLU)]
for m in model.modules():
    if isinstance(m, nn.ReLU):
        m.inplace = False
inp = x[1:].clone().requires_grad_(True)
model(inp)[0, 2].backward()
print(f"{inp.grad.clamp(min=0).sum().item():.5f}", (inp.grad >= 0).float().mean().item() > 0)
for h in handles:
    h.remove()
results.update({"grad_cam/cam": cam, "grad_cam/sal": saliency, "grad_cam/smooth": smooth, "grad_cam/guided": inp.grad})
'''


FEATURE_VISUALISATION = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)
model = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
    nn.Conv2d(8, 8, 3, padding=1, groups=2), nn.GELU(),
    nn.MaxPool2d(2),
    nn.Conv2d(8, 12, 3, padding=1), nn.SiLU(),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(12, 4),
).eval()
for p in model.parameters():
    p.requires_grad_(False)

activation = {}


def get_activation(name):
    def hook(model, input, output):
        activation[name] = output
    return hook


h = model[5].register_forward_hook(get_activation('conv3'))
img = (torch.rand(1, 3, 24, 24) * 0.2 + 0.4).requires_grad_(True)
optimizer = torch.optim.Adam([img], lr=0.05, weight_decay=1e-6)
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
for step in range(30):
    optimizer.zero_grad()
    model((img - mean) / std)
    act = activation['conv3'][0, 5]
    tv = (img[:, :, 1:, :] - img[:, :, :-1, :]).abs().mean() + (img[:, :, :, 1:] - img[:, :, :, :-1]).abs().mean()
    loss = -act.mean() + 0.1 * tv
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        img.clamp_(0, 1)
    if step % 10 == 0:
        print(step, f"{loss.item():.5f}", f"{img.grad.norm().item():.5f}")
h.remove()
print(img.min().item() >= 0, img.max().item() <= 1, img.requires_grad, img.is_leaf)

# class visualisation with jitter (torch.roll) and gaussian blur
x = (0.1 * torch.randn(1, 3, 24, 24)).requires_grad_()
opt = torch.optim.SGD([x], lr=1.0, momentum=0.9)
target = 2
for step in range(20):
    ox, oy = step % 3 - 1, (step * 2) % 3 - 1
    jittered = torch.roll(x, shifts=(ox, oy), dims=(2, 3))
    out = model(jittered)
    loss = -out[0, target] + 1e-3 * x.pow(2).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 5 == 4:
        with torch.no_grad():
            k = torch.tensor([1., 2., 1.])
            k = (k[:, None] * k[None, :]) / 16
            k = k.expand(3, 1, 3, 3)
            x.data = F.conv2d(F.pad(x.data, (1, 1, 1, 1), mode='reflect'), k, groups=3)
        print(step, f"{out[0, target].item():.5f}", F.softmax(out, 1).argmax().item())
print(x.grad is not None, x.grad.shape)

# deep-dream style gradient ascent normalised by mean abs grad, multi-scale
base = torch.rand(1, 3, 20, 20)
for octave, scale in enumerate([0.5, 1.0]):
    size = [int(s * scale) for s in base.shape[2:]]
    im = F.interpolate(base, size=size, mode='bilinear', align_corners=True).requires_grad_()
    for i in range(5):
        out = model[:6](im)
        loss = out.norm()
        loss.backward()
        g = im.grad.data
        g = g / (g.abs().mean() + 1e-8)
        im.data += 0.01 * g
        im.grad.data.zero_()
    print(octave, tuple(im.shape), f"{loss.item():.4f}")
results.update({"feature_visualisation/img": img.detach(), "feature_visualisation/x": x.detach(),
                "feature_visualisation/im": im.detach()})
'''


STYLE_TRANSFER = r'''
import copy
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(1)
imsize = 32
style_img = torch.rand(1, 3, imsize, imsize)
content_img = torch.rand(1, 3, imsize, imsize)
assert style_img.size() == content_img.size(), "we need to import style and content images of the same size"

cnn = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(inplace=True),
    nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(inplace=True),
    nn.MaxPool2d(2, 2),
    nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(inplace=True),
    nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(inplace=True),
).eval()
cnn.requires_grad_(False)
cnn_normalization_mean = torch.tensor([0.485, 0.456, 0.406])
cnn_normalization_std = torch.tensor([0.229, 0.224, 0.225])


class ContentLoss(nn.Module):
    def __init__(self, target):
        super(ContentLoss, self).__init__()
        self.target = target.detach()

    def forward(self, input):
        self.loss = F.mse_loss(input, self.target)
        return input


def gram_matrix(input):
    a, b, c, d = input.size()
    features = input.view(a * b, c * d)
    G = torch.mm(features, features.t())
    return G.div(a * b * c * d)


class StyleLoss(nn.Module):
    def __init__(self, target_feature):
        super(StyleLoss, self).__init__()
        self.target = gram_matrix(target_feature).detach()

    def forward(self, input):
        G = gram_matrix(input)
        self.loss = F.mse_loss(G, self.target)
        return input


class Normalization(nn.Module):
    def __init__(self, mean, std):
        super(Normalization, self).__init__()
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)

    def forward(self, img):
        return (img - self.mean) / self.std


content_layers_default = ['conv_4']
style_layers_default = ['conv_1', 'conv_2', 'conv_3', 'conv_4']


def get_style_model_and_losses(cnn, normalization_mean, normalization_std, style_img, content_img,
                               content_layers=content_layers_default, style_layers=style_layers_default):
    cnn = copy.deepcopy(cnn)
    normalization = Normalization(normalization_mean, normalization_std)
    content_losses = []
    style_losses = []
    model = nn.Sequential(normalization)
    i = 0
    for layer in cnn.children():
        if isinstance(layer, nn.Conv2d):
            i += 1
            name = 'conv_{}'.format(i)
        elif isinstance(layer, nn.ReLU):
            name = 'relu_{}'.format(i)
            layer = nn.ReLU(inplace=False)
        elif isinstance(layer, nn.MaxPool2d):
            name = 'pool_{}'.format(i)
        elif isinstance(layer, nn.BatchNorm2d):
            name = 'bn_{}'.format(i)
        else:
            raise RuntimeError('Unrecognized layer: {}'.format(layer.__class__.__name__))
        model.add_module(name, layer)
        if name in content_layers:
            target = model(content_img).detach()
            content_loss = ContentLoss(target)
            model.add_module("content_loss_{}".format(i), content_loss)
            content_losses.append(content_loss)
        if name in style_layers:
            target_feature = model(style_img).detach()
            style_loss = StyleLoss(target_feature)
            model.add_module("style_loss_{}".format(i), style_loss)
            style_losses.append(style_loss)
    for i in range(len(model) - 1, -1, -1):
        if isinstance(model[i], ContentLoss) or isinstance(model[i], StyleLoss):
            break
    model = model[:(i + 1)]
    return model, style_losses, content_losses


def get_input_optimizer(input_img):
    optimizer = optim.LBFGS([input_img], max_iter=8)
    return optimizer


def run_style_transfer(cnn, normalization_mean, normalization_std, content_img, style_img, input_img,
                       num_steps=12, style_weight=100000, content_weight=1):
    print('Building the style transfer model..')
    model, style_losses, content_losses = get_style_model_and_losses(cnn, normalization_mean, normalization_std,
                                                                     style_img, content_img)
    input_img.requires_grad_(True)
    model.eval()
    model.requires_grad_(False)
    optimizer = get_input_optimizer(input_img)
    print(model)
    print('Optimizing..')
    run = [0]
    while run[0] <= num_steps:
        def closure():
            with torch.no_grad():
                input_img.clamp_(0, 1)
            optimizer.zero_grad()
            model(input_img)
            style_score = 0
            content_score = 0
            for sl in style_losses:
                style_score += sl.loss
            for cl in content_losses:
                content_score += cl.loss
            style_score *= style_weight
            content_score *= content_weight
            loss = style_score + content_score
            loss.backward()
            run[0] += 1
            if run[0] % 5 == 0:
                print("run {}:".format(run))
                print('Style Loss : {:.2e} Content Loss: {:.2e}'.format(style_score.item(), content_score.item()))
            return style_score + content_score
        optimizer.step(closure)
    with torch.no_grad():
        input_img.clamp_(0, 1)
    return input_img


input_img = content_img.clone()
output = run_style_transfer(cnn, cnn_normalization_mean, cnn_normalization_std, content_img, style_img, input_img)
print(output.shape, output.requires_grad)
st = optim.LBFGS([output]).state_dict()
print(st)
opt = optim.LBFGS([torch.zeros(3, requires_grad=True)], lr=1, max_iter=5, history_size=3,
                  line_search_fn="strong_wolfe")
p = opt.param_groups[0]['params'][0]


def rosen():
    opt.zero_grad()
    y = (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2 + (p[2] - 1) ** 2
    y.backward()
    return y


for i in range(2):
    l = opt.step(rosen)
    print(i, f"{l.item():.4f}", [round(v, 3) for v in p.tolist()])
s = opt.state_dict()["state"][0]
print(sorted(s), s["func_evals"], s["n_iter"], len(s["old_dirs"]))
results.update({"style_transfer/out": output.detach(), "style_transfer/p": p.detach()})
'''


BACKWARD_HOOKS = r'''
import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint

torch.manual_seed(0)
log = []


def hook(name):
    def fn(m, gi, go):
        log.append((name, [None if g is None else (tuple(g.shape), round(g.sum().item(), 4)) for g in gi],
                    [None if g is None else (tuple(g.shape), round(g.sum().item(), 4)) for g in go]))
    return fn


class TwoIn(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)

    def forward(self, a, b, scale=1.0, flag=None):
        return self.lin(a) * b * scale, a.sum()


m = TwoIn()
m.register_full_backward_hook(hook("twoin"))
a = torch.randn(2, 3, requires_grad=True)
b = torch.randn(2, 3)
out, s = m(a, b, scale=2.0, flag="x")
(out.sum() + s).backward()
print(log)
log.clear()
out, s = m(a, b)
out.sum().backward()
print(log)
log.clear()

# same module used twice in one forward
shared = nn.Linear(3, 3)
shared.register_full_backward_hook(hook("shared"))
y = shared(shared(a))
y.sum().backward()
print(log)
log.clear()

# hooks + checkpoint
blk = nn.Sequential(nn.Linear(3, 3), nn.Tanh())
blk[0].register_full_backward_hook(hook("ckpt-lin"))
fwd = []
blk[0].register_forward_hook(lambda mod, i, o: fwd.append(tuple(o.shape)))
z = checkpoint(blk, a, use_reentrant=False)
z.sum().backward()
print(log, fwd)
log.clear()
fwd.clear()
z = checkpoint(blk, a, use_reentrant=True)
z.sum().backward()
print(log, fwd)
log.clear()

# backward hook returning replacement grad_input, on a module whose output is a view
class ViewOut(nn.Module):
    def forward(self, x):
        return x.view(-1)

v = ViewOut()
v.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0 + 3,))
x = torch.randn(2, 2, requires_grad=True)
v(x).sum().backward()
print(x.grad)

# module with no tensor inputs requiring grad and output not requiring grad
frozen = nn.Linear(3, 3).requires_grad_(False)
frozen.register_full_backward_hook(hook("frozen"))
o = frozen(torch.randn(1, 3))
print(o.requires_grad, log)

# forward hook that returns a new tensor + backward hook
ln = nn.Linear(3, 3)
ln.register_forward_hook(lambda mod, i, o: o * 2)
ln.register_full_backward_hook(hook("ln"))
ln(a).sum().backward()
print(log)
log.clear()

# register_backward_hook (non-full) on a Sequential: warning + behaviour
seq = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
seq.register_backward_hook(hook("old"))
seq(a).sum().backward()
print(log)
log.clear()
try:
    mod = nn.Linear(3, 3)
    mod.register_backward_hook(hook("x"))
    mod.register_full_backward_hook(hook("y"))
except RuntimeError as e:
    print("RuntimeError:", e)
mod = nn.Linear(3, 3)
mod.register_full_backward_hook(hook("inplace"))
try:
    r = mod(a)
    r.add_(1)
    r.sum().backward()
    print(log)
except RuntimeError as e:
    print("RuntimeError:", str(e)[:150])
'''


RESNET_ONE_CYCLE = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import TensorDataset, DataLoader, random_split

torch.manual_seed(0)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super(BasicBlock, self).__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.expansion * planes)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        out = F.relu(out)
        return out


class ResNet(nn.Module):
    def __init__(self, block, num_blocks, num_classes=10):
        super(ResNet, self).__init__()
        self.in_planes = 8
        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = self._make_layer(block, 8, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, 16, num_blocks[1], stride=2)
        self.layer3 = self._make_layer(block, 32, num_blocks[2], stride=2)
        self.linear = nn.Linear(32 * block.expansion, num_classes)

    def _make_layer(self, block, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for stride in strides:
            layers.append(block(self.in_planes, planes, stride))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = self.layer2(out)
        out = self.layer3(out)
        out = F.avg_pool2d(out, out.size()[3])
        out = out.view(out.size(0), -1)
        out = self.linear(out)
        return out


def ResNet8():
    return ResNet(BasicBlock, [1, 1, 1])


X = torch.randn(96, 3, 32, 32)
y = torch.randint(0, 10, (96,))
ds = TensorDataset(X, y)
train_ds, val_ds = random_split(ds, [80, 16], generator=torch.Generator().manual_seed(42))
print(len(train_ds), len(val_ds), val_ds.indices[:5])
train_loader = DataLoader(train_ds, batch_size=16, shuffle=True, drop_last=True)
val_loader = DataLoader(val_ds, batch_size=8)

net = ResNet8()
print(sum(p.numel() for p in net.parameters()))
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
accum_steps = 2
epochs = 3
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, epochs=epochs,
                                                steps_per_epoch=len(train_loader) // accum_steps,
                                                pct_start=0.3, anneal_strategy='cos', div_factor=25.0,
                                                final_div_factor=1e4, three_phase=False)
lrs = []
for epoch in range(epochs):
    net.train()
    train_loss, correct, total = 0, 0, 0
    optimizer.zero_grad()
    for batch_idx, (inputs, targets) in enumerate(train_loader):
        outputs = net(inputs)
        loss = criterion(outputs, targets) / accum_steps
        loss.backward()
        if (batch_idx + 1) % accum_steps == 0:
            nn.utils.clip_grad_norm_(net.parameters(), max_norm=5.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            scheduler.step()
            lrs.append(scheduler.get_last_lr()[0])
        train_loss += loss.item() * accum_steps
        _, predicted = outputs.max(1)
        total += targets.size(0)
        correct += predicted.eq(targets).sum().item()
    net.eval()
    val_loss, vcorrect = 0.0, 0
    with torch.no_grad():
        for inputs, targets in val_loader:
            out = net(inputs)
            val_loss += F.cross_entropy(out, targets, reduction='sum').item()
            vcorrect += (out.argmax(1) == targets).sum().item()
    print('Epoch %d | Loss: %.4f | Acc: %.3f%% (%d/%d) | val %.4f %d | lr %.6f' % (
        epoch, train_loss / (batch_idx + 1), 100. * correct / total, correct, total, val_loss / 16, vcorrect,
        optimizer.param_groups[0]['lr']))
print([round(l, 6) for l in lrs])
print(optimizer.param_groups[0]['momentum'], optimizer.param_groups[0].keys())
print(scheduler.state_dict()['total_steps'], scheduler.state_dict()['_step_count'])
try:
    scheduler.step()
    scheduler.step()
except ValueError as e:
    print("ValueError:", e)
results.update({"resnet_one_cycle/w": net.linear.weight.detach(), "resnet_one_cycle/rm": net.layer3[0].bn2.running_var})
'''


MOBILENET_EMA = r'''
import copy
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, SWALR, update_bn, get_ema_multi_avg_fn, get_ema_avg_fn

torch.manual_seed(7)


def _make_divisible(v, divisor, min_value=None):
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_planes, out_planes, kernel_size=3, stride=1, groups=1):
        padding = (kernel_size - 1) // 2
        super(ConvBNReLU, self).__init__(
            nn.Conv2d(in_planes, out_planes, kernel_size, stride, padding, groups=groups, bias=False),
            nn.BatchNorm2d(out_planes),
            nn.ReLU6(inplace=True)
        )


class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, expand_ratio):
        super(InvertedResidual, self).__init__()
        self.stride = stride
        assert stride in [1, 2]
        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = self.stride == 1 and inp == oup
        layers = []
        if expand_ratio != 1:
            layers.append(ConvBNReLU(inp, hidden_dim, kernel_size=1))
        layers.extend([
            ConvBNReLU(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim),
            nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
            nn.BatchNorm2d(oup),
        ])
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        if self.use_res_connect:
            return x + self.conv(x)
        else:
            return self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, num_classes=10, width_mult=0.25):
        super(MobileNetV2, self).__init__()
        input_channel = _make_divisible(32 * width_mult, 8)
        last_channel = _make_divisible(128 * max(1.0, width_mult), 8)
        setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 2, 2]]
        features = [ConvBNReLU(3, input_channel, stride=2)]
        for t, c, n, s in setting:
            output_channel = _make_divisible(c * width_mult, 8)
            for i in range(n):
                stride = s if i == 0 else 1
                features.append(InvertedResidual(input_channel, output_channel, stride, expand_ratio=t))
                input_channel = output_channel
        features.append(ConvBNReLU(input_channel, last_channel, kernel_size=1))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(last_channel, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out')
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.features(x)
        x = nn.functional.adaptive_avg_pool2d(x, 1).reshape(x.shape[0], -1)
        return self.classifier(x)


model = MobileNetV2()
print(model.features[2])
print(sum(p.numel() for p in model.parameters()), len(list(model.buffers())))
ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
ema2 = AveragedModel(model, avg_fn=get_ema_avg_fn(0.95), use_buffers=True)
swa_model = AveragedModel(model)
print(type(ema_model.module).__name__, ema_model.n_averaged, [n for n, _ in ema_model.named_buffers()][:2])
opt = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9, weight_decay=4e-5)
swa_scheduler = SWALR(opt, swa_lr=0.01, anneal_epochs=2, anneal_strategy="linear")
data = [(torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,))) for _ in range(2)]
for epoch in range(3):
    model.train()
    for xb, yb in data:
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        ema_model.update_parameters(model)
        ema2.update_parameters(model)
    swa_model.update_parameters(model)
    swa_scheduler.step()
    print(epoch, f"{loss.item():.4f}", opt.param_groups[0]["lr"], ema_model.n_averaged.item(), swa_model.n_averaged)
update_bn(data, swa_model)
update_bn(((x for x, _ in data)), ema_model)
bn = swa_model.module.features[0][1]
print(bn.momentum, bn.num_batches_tracked.item(), f"{bn.running_mean.abs().sum().item():.4f}")
ema_model.eval(); swa_model.eval(); ema2.eval()
x = torch.randn(2, 3, 32, 32)
with torch.inference_mode():
    o1, o2, o3 = ema_model(x), swa_model(x), ema2(x)
print(o1.is_inference(), o1.shape)
sd = ema_model.state_dict()
print(list(sd)[:3], list(sd)[-2:])
print([k for k in ema2.state_dict() if 'n_averaged' in k])
relu6 = nn.ReLU6()
print(relu6, relu6(torch.tensor([-1., 3., 7., float('nan')])), F.hardtanh(torch.tensor([7.]), 0., 6.))
results.update({"mobilenet_ema/o1": o1, "mobilenet_ema/o2": o2, "mobilenet_ema/o3": o3,
                "mobilenet_ema/rm": bn.running_mean, "mobilenet_ema/rv": bn.running_var})
'''


CHECKPOINT = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint, checkpoint_sequential

torch.manual_seed(11)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.bn = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)
        self.drop = nn.Dropout2d(0.1)

    def forward(self, x):
        return x + self.conv2(self.drop(F.relu(self.bn(self.conv1(x)))))


class Net(nn.Module):
    def __init__(self, use_ckpt=True):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.blocks = nn.ModuleList([Block(8) for _ in range(3)])
        self.head = nn.Linear(8, 5)
        self.use_ckpt = use_ckpt

    def forward(self, x):
        x = self.stem(x)
        for blk in self.blocks:
            if self.use_ckpt and self.training:
                x = checkpoint(blk, x, use_reentrant=False)
            else:
                x = blk(x)
        return self.head(x.mean((2, 3)))


net = Net()
x = torch.randn(4, 3, 12, 12)
y = torch.randint(0, 5, (4,))
torch.manual_seed(5)
loss = F.cross_entropy(net(x), y)
loss.backward()
g_ckpt = [p.grad.clone() for p in net.parameters()]
print(f"{loss.item():.6f}", net.blocks[0].bn.num_batches_tracked.item())
net.zero_grad()
net.use_ckpt = False
torch.manual_seed(5)
loss2 = F.cross_entropy(net(x), y)
loss2.backward()
print(f"{loss2.item():.6f}", all(torch.allclose(a, b.grad, atol=1e-6) for a, b in zip(g_ckpt, net.parameters())))
print(net.blocks[0].bn.num_batches_tracked.item())

seq = nn.Sequential(*[nn.Sequential(nn.Linear(6, 6), nn.Tanh()) for _ in range(4)])
inp = torch.randn(3, 6, requires_grad=True)
out = checkpoint_sequential(seq, 2, inp, use_reentrant=False)
out.sum().backward()
print(out.shape, out.grad_fn is not None, f"{inp.grad.abs().sum().item():.5f}")
try:
    checkpoint(seq, inp)
except Exception as e:
    print(type(e).__name__, e)

results.update({"checkpoint/g": g_ckpt[0]})
'''


VIT = r'''
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class PatchEmbed(nn.Module):
    def __init__(self, img_size=16, patch_size=4, in_chans=3, embed_dim=32):
        super().__init__()
        self.num_patches = (img_size // patch_size) ** 2
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):
        x = self.proj(x)
        x = x.flatten(2)
        x = x.transpose(1, 2)
        return x


class ViT(nn.Module):
    def __init__(self, img_size=16, patch_size=4, num_classes=5, embed_dim=32, depth=2, num_heads=4,
                 mlp_ratio=2.0, dropout=0.1):
        super().__init__()
        self.patch_embed = PatchEmbed(img_size, patch_size, 3, embed_dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, self.patch_embed.num_patches + 1, embed_dim))
        self.pos_drop = nn.Dropout(p=dropout)
        encoder_layer = nn.TransformerEncoderLayer(d_model=embed_dim, nhead=num_heads,
                                                   dim_feedforward=int(embed_dim * mlp_ratio), dropout=dropout,
                                                   activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(encoder_layer, num_layers=depth, norm=nn.LayerNorm(embed_dim),
                                             enable_nested_tensor=False)
        self.head = nn.Linear(embed_dim, num_classes)
        nn.init.trunc_normal_(self.pos_embed, std=.02)
        nn.init.trunc_normal_(self.cls_token, std=.02)
        self.apply(self._init_weights)

    def _init_weights(self, m):
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=.02)
            if m.bias is not None:
                nn.init.constant_(m.bias, 0)
        elif isinstance(m, nn.LayerNorm):
            nn.init.constant_(m.bias, 0)
            nn.init.constant_(m.weight, 1.0)

    def forward(self, x):
        B = x.shape[0]
        x = self.patch_embed(x)
        cls_tokens = self.cls_token.expand(B, -1, -1)
        x = torch.cat((cls_tokens, x), dim=1)
        x = x + self.pos_embed
        x = self.pos_drop(x)
        x = self.encoder(x)
        return self.head(x[:, 0])


model = ViT()
print(model.encoder.layers[0])
n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
print(n_params, model.pos_embed.shape, model.patch_embed(torch.zeros(1, 3, 16, 16)).shape)
decay, no_decay = [], []
for name, p in model.named_parameters():
    if p.ndim <= 1 or name.endswith(".bias") or "pos_embed" in name or "cls_token" in name:
        no_decay.append(p)
    else:
        decay.append(p)
print(len(decay), len(no_decay))
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                              lr=1e-3, betas=(0.9, 0.999))
warmup, total = 2, 8


def lr_lambda(step):
    if step < warmup:
        return float(step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1. + math.cos(math.pi * progress))


scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
X = torch.randn(16, 3, 16, 16)
Y = torch.randint(0, 5, (16,))
for step in range(total):
    model.train()
    idx = torch.randperm(16)[:8]
    logits = model(X[idx])
    loss = F.cross_entropy(logits, Y[idx], label_smoothing=0.1)
    optimizer.zero_grad()
    loss.backward()
    gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    print(step, f"{loss.item():.4f}", f"{gn.item():.4f}", [f"{g['lr']:.6f}" for g in optimizer.param_groups])
model.eval()
with torch.no_grad():
    out = model(X[:4])
    probs = out.softmax(-1)
print(out.shape, probs.sum(-1))

# attention weights from a MultiheadAttention, masks
mha = nn.MultiheadAttention(32, 4, batch_first=True)
q = torch.randn(2, 5, 32)
key_padding_mask = torch.tensor([[False] * 5, [False, False, False, True, True]])
attn_out, attn_w = mha(q, q, q, key_padding_mask=key_padding_mask)
print(attn_out.shape, attn_w.shape, attn_w[1, :, 3:].abs().max().item())
_, per_head = mha(q, q, q, need_weights=True, average_attn_weights=False)
print(per_head.shape)
causal = nn.Transformer.generate_square_subsequent_mask(5)
print(causal)
layer = nn.TransformerEncoderLayer(32, 4, 64, 0.0, batch_first=True)
enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
enc.eval()
o = enc(q, mask=causal, is_causal=True)
o2 = enc(q, src_key_padding_mask=key_padding_mask)
print(o.shape, o2.shape)
results.update({"vit/out": out, "vit/attn": attn_w, "vit/o": o, "vit/o2": o2, "vit/pos": model.pos_embed.detach()})
'''


EARLY_STOPPING = r'''
import copy
import sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from tqdm import tqdm

torch.manual_seed(123)
np.random.seed(0)


class EarlyStopping:
    def __init__(self, patience=3, verbose=False, delta=0.0, path='checkpoint.pt'):
        self.patience = patience
        self.verbose = verbose
        self.counter = 0
        self.best_score = None
        self.early_stop = False
        self.val_loss_min = np.inf
        self.delta = delta
        self.path = path

    def __call__(self, val_loss, model):
        score = -val_loss
        if self.best_score is None:
            self.best_score = score
            self.save_checkpoint(val_loss, model)
        elif score < self.best_score + self.delta:
            self.counter += 1
            print(f'EarlyStopping counter: {self.counter} out of {self.patience}')
            if self.counter >= self.patience:
                self.early_stop = True
        else:
            self.best_score = score
            self.save_checkpoint(val_loss, model)
            self.counter = 0

    def save_checkpoint(self, val_loss, model):
        if self.verbose:
            print(f'Validation loss decreased ({self.val_loss_min:.6f} --> {val_loss:.6f}).  Saving model ...')
        torch.save(model.state_dict(), self.path)
        self.val_loss_min = val_loss


def binary_metrics(preds, targets):
    tp = ((preds == 1) & (targets == 1)).sum().item()
    fp = ((preds == 1) & (targets == 0)).sum().item()
    fn = ((preds == 0) & (targets == 1)).sum().item()
    tn = ((preds == 0) & (targets == 0)).sum().item()
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return tp, fp, fn, tn, precision, recall, f1


def auroc(scores, targets):
    order = torch.argsort(scores, descending=True)
    t = targets[order].float()
    tps = torch.cumsum(t, 0)
    fps = torch.cumsum(1 - t, 0)
    tpr = torch.cat([torch.zeros(1), tps / tps[-1]])
    fpr = torch.cat([torch.zeros(1), fps / fps[-1]])
    return torch.trapz(tpr, fpr).item()


class AverageMeter:
    def __init__(self):
        self.reset()

    def reset(self):
        self.val = self.avg = self.sum = self.count = 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count


X = torch.randn(200, 10)
w = torch.randn(10)
y = ((X @ w + 0.5 * torch.randn(200)) > 0).long()
train_ds = TensorDataset(X[:150], y[:150])
val_ds = TensorDataset(X[150:], y[150:])
train_loader = DataLoader(train_ds, batch_size=32, shuffle=True)
val_loader = DataLoader(val_ds, batch_size=50)
# (no bias before the batch norm: its gradient is rounding noise, which Adam scales up)
model = nn.Sequential(nn.Linear(10, 32, bias=False), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.3),
                      nn.Linear(32, 1))
criterion = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1.5]))
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='min', factor=0.5, patience=1,
                                                       threshold=1e-3, cooldown=0, min_lr=1e-4)
early_stopping = EarlyStopping(patience=4, verbose=True)
best_wts = None
for epoch in range(30):
    model.train()
    meter = AverageMeter()
    pbar = tqdm(train_loader, desc=f"Epoch {epoch}", leave=False, file=sys.stderr)
    for xb, yb in pbar:
        logits = model(xb).squeeze(1)
        loss = criterion(logits, yb.float())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        meter.update(loss.item(), xb.size(0))
        pbar.set_postfix(loss=f"{meter.avg:.4f}", lr=optimizer.param_groups[0]['lr'])
    model.eval()
    all_scores, all_t = [], []
    val_loss = 0.0
    with torch.no_grad():
        for xb, yb in val_loader:
            s = model(xb).squeeze(1)
            val_loss += criterion(s, yb.float()).item() * xb.size(0)
            all_scores.append(torch.sigmoid(s))
            all_t.append(yb)
    val_loss /= len(val_ds)
    scores, targets = torch.cat(all_scores), torch.cat(all_t)
    tp, fp, fn, tn, p, r, f1 = binary_metrics((scores > 0.5).long(), targets)
    scheduler.step(val_loss)
    print(f"epoch {epoch} train {meter.avg:.4f} val {val_loss:.4f} acc {(tp + tn) / len(targets):.3f} "
          f"P {p:.3f} R {r:.3f} F1 {f1:.3f} AUC {auroc(scores, targets):.4f} lr {scheduler.get_last_lr()[0]:.5f}")
    early_stopping(val_loss, model)
    if early_stopping.early_stop:
        print("Early stopping at epoch", epoch)
        break
print(scheduler.state_dict()["num_bad_epochs"], scheduler.state_dict()["best"] == early_stopping.val_loss_min)
model.load_state_dict(torch.load('checkpoint.pt', weights_only=True))
print(scheduler._last_lr, f"{scheduler.best:.5f}")
for e in tqdm(range(3), total=3, disable=True):
    pass
print(len(tqdm(range(7), disable=True)))
results.update({"early_stopping/w": model[0].weight.detach()})
'''


SIMCLR_LARS = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.optimizer import Optimizer, required

torch.manual_seed(0)
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
print(device, torch.cuda.device_count(), torch.backends.mps.is_available())


class LARS(Optimizer):
    def __init__(self, params, lr=required, momentum=0.9, weight_decay=1e-6, eta=0.001,
                 exclude_from_weight_decay=None):
        if lr is not required and lr < 0.0:
            raise ValueError("Invalid learning rate: {}".format(lr))
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay, eta=eta)
        super(LARS, self).__init__(params, defaults)
        self.exclude = exclude_from_weight_decay or []

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group['params']:
                if p.grad is None:
                    continue
                d_p = p.grad
                if p.ndim > 1:
                    d_p = d_p.add(p, alpha=group['weight_decay'])
                    param_norm = torch.norm(p)
                    update_norm = torch.norm(d_p)
                    one = torch.ones_like(param_norm)
                    q = torch.where(param_norm > 0.,
                                    torch.where(update_norm > 0, (group['eta'] * param_norm / update_norm), one),
                                    one)
                    d_p = d_p.mul(q)
                param_state = self.state[p]
                if 'mu' not in param_state:
                    param_state['mu'] = torch.zeros_like(p)
                mu = param_state['mu']
                mu.mul_(group['momentum']).add_(d_p)
                p.add_(mu, alpha=-group['lr'])
        return loss


class NTXentLoss(nn.Module):
    def __init__(self, temperature=0.5):
        super().__init__()
        self.temperature = temperature

    def forward(self, z_i, z_j):
        batch_size = z_i.shape[0]
        z = torch.cat([z_i, z_j], dim=0)
        z = F.normalize(z, dim=1)
        sim = torch.matmul(z, z.T) / self.temperature
        sim_i_j = torch.diag(sim, batch_size)
        sim_j_i = torch.diag(sim, -batch_size)
        positives = torch.cat([sim_i_j, sim_j_i], dim=0).reshape(2 * batch_size, 1)
        mask = (~torch.eye(2 * batch_size, 2 * batch_size, dtype=bool)).float()
        negatives = sim[mask.bool()].reshape(2 * batch_size, -1)
        labels = torch.zeros(2 * batch_size, dtype=torch.long, device=positives.device)
        logits = torch.cat((positives, negatives), dim=1)
        loss = F.cross_entropy(logits, labels, reduction="sum")
        return loss / (2 * batch_size)


def info_nce(features, temperature=0.5):
    n = features.shape[0] // 2
    labels = torch.cat([torch.arange(n) for _ in range(2)], dim=0)
    labels = (labels.unsqueeze(0) == labels.unsqueeze(1)).float()
    features = F.normalize(features, dim=1)
    similarity_matrix = torch.matmul(features, features.T)
    mask = torch.eye(labels.shape[0], dtype=torch.bool)
    labels = labels[~mask].view(labels.shape[0], -1)
    similarity_matrix = similarity_matrix[~mask].view(similarity_matrix.shape[0], -1)
    positives = similarity_matrix[labels.bool()].view(labels.shape[0], -1)
    negatives = similarity_matrix[~labels.bool()].view(similarity_matrix.shape[0], -1)
    logits = torch.cat([positives, negatives], dim=1) / temperature
    return F.cross_entropy(logits, torch.zeros(logits.shape[0], dtype=torch.long))


def augment(x):
    flip = torch.rand(x.shape[0], 1, 1, 1) < 0.5
    x = torch.where(flip, x.flip(3), x)
    x = x + 0.1 * torch.randn_like(x)
    i, j = torch.randint(0, 5, (2,)).tolist()
    x = F.pad(x, (2, 2, 2, 2), mode='reflect')[:, :, i:i + 16, j:j + 16]
    return x


encoder = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten()).to(device)
projector = nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 16)).to(device)
params = list(encoder.parameters()) + list(projector.parameters())
opt = LARS(params, lr=0.3, weight_decay=1e-6)
print(opt)
crit = NTXentLoss(0.5)
X = torch.randn(16, 3, 16, 16)
for step in range(4):
    x = X[torch.randperm(16)[:8]].to(device, non_blocking=True)
    z1, z2 = projector(encoder(augment(x))), projector(encoder(augment(x)))
    loss = crit(z1, z2)
    loss2 = info_nce(torch.cat([z1, z2]))
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.5f}", f"{loss2.item():.5f}", sorted(opt.state[params[0]].keys()))
sd = opt.state_dict()
print(list(sd["state"].keys())[:3], sd["param_groups"][0]["eta"], sd["param_groups"][0]["params"][:3])
try:
    LARS(params)
except Exception as e:
    print(type(e).__name__, e)
try:
    LARS(params, lr=-1)
except ValueError as e:
    print("ValueError:", e)
print(repr(required))
results.update({"simclr_lars/w": encoder[0].weight.detach(), "simclr_lars/mu": opt.state[params[0]]["mu"]})
'''


GRAD_SCALER = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"
use_amp = device == "cuda"
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).to(device)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
scaler = torch.cuda.amp.GradScaler(enabled=use_amp)
print(scaler.is_enabled(), scaler.get_scale(), scaler.state_dict())
scaler2 = torch.amp.GradScaler(device, init_scale=2.**8, growth_interval=2)
print(scaler2.is_enabled(), scaler2.get_scale(), scaler2.get_growth_factor(), scaler2.get_backoff_factor())
x = torch.randn(8, 4)
y = torch.randint(0, 2, (8,))
for step in range(4):
    opt.zero_grad(set_to_none=True)
    with torch.autocast(device_type=device, dtype=torch.float16 if device == "cuda" else torch.bfloat16,
                        enabled=use_amp):
        loss = F.cross_entropy(model(x), y)
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    scaler.step(opt)
    scaler.update()
    print(step, f"{loss.item():.5f}", scaler.get_scale())
opt2 = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(4):
    opt2.zero_grad()
    loss = F.cross_entropy(model(x), y)
    if step == 2:
        loss = loss * float("inf")
    scaled = scaler2.scale(loss)
    print(step, scaled.dtype, f"{scaled.item():.3f}")
    scaled.backward()
    scaler2.step(opt2)
    scaler2.update()
    print(step, scaler2.get_scale(), scaler2._get_growth_tracker())
print(scaler2.state_dict())
try:
    scaler2.unscale_(opt2)
    scaler2.unscale_(opt2)
except RuntimeError as e:
    print("RuntimeError:", e)
print(sorted(k for k in scaler2.__dict__ if not k.startswith("_per")))
'''


CAPSULE_NETWORK = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def squash(s, dim=-1):
    squared_norm = (s ** 2).sum(dim=dim, keepdim=True)
    return squared_norm / (1 + squared_norm) * s / (torch.sqrt(squared_norm) + 1e-8)


class PrimaryCaps(nn.Module):
    def __init__(self, num_capsules=4, in_channels=8, out_channels=4, kernel_size=3):
        super().__init__()
        self.capsules = nn.ModuleList([nn.Conv2d(in_channels, out_channels, kernel_size, stride=2)
                                       for _ in range(num_capsules)])

    def forward(self, x):
        u = torch.stack([capsule(x) for capsule in self.capsules], dim=1)
        u = u.view(x.size(0), -1, 4)
        return squash(u)


class DigitCaps(nn.Module):
    def __init__(self, num_routes, num_capsules=3, in_channels=4, out_channels=6, iterations=3):
        super().__init__()
        self.iterations = iterations
        self.W = nn.Parameter(0.1 * torch.randn(1, num_routes, num_capsules, out_channels, in_channels))

    def forward(self, x):
        batch_size = x.size(0)
        x = x.unsqueeze(2).unsqueeze(4)
        u_hat = torch.matmul(self.W, x).squeeze(-1)
        b_ij = torch.zeros(batch_size, u_hat.size(1), u_hat.size(2), 1)
        for iteration in range(self.iterations):
            c_ij = F.softmax(b_ij, dim=2)
            s_j = (c_ij * u_hat).sum(dim=1, keepdim=True)
            v_j = squash(s_j)
            if iteration < self.iterations - 1:
                a_ij = (u_hat * v_j).sum(-1, keepdim=True)
                b_ij = b_ij + a_ij
        return v_j.squeeze(1)


class CapsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 5)
        self.primary = PrimaryCaps()
        self.digit = DigitCaps(num_routes=100)
        self.decoder = nn.Sequential(nn.Linear(6 * 3, 32), nn.ReLU(), nn.Linear(32, 16 * 16), nn.Sigmoid())

    def forward(self, x, y=None):
        v = self.digit(self.primary(F.relu(self.conv(x))))
        lengths = v.norm(dim=-1)
        if y is None:
            y = lengths.argmax(1)
        mask = F.one_hot(y, 3).float()
        recon = self.decoder((v * mask.unsqueeze(-1)).flatten(1))
        return lengths, recon


def margin_loss(lengths, labels, m_pos=0.9, m_neg=0.1, lam=0.5):
    t = F.one_hot(labels, 3).float()
    return (t * F.relu(m_pos - lengths) ** 2 + lam * (1 - t) * F.relu(lengths - m_neg) ** 2).sum(1).mean()


net = CapsNet()
x = torch.rand(6, 1, 16, 16)
y = torch.randint(0, 3, (6,))
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
for step in range(3):
    lengths, recon = net(x, y)
    loss = margin_loss(lengths, y) + 0.0005 * F.mse_loss(recon, x.view(6, -1), reduction='sum')
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.6f}", lengths.argmax(1).tolist(), f"{net.digit.W.grad.norm().item():.6f}")
a = torch.randn(2, 1, 3, 4, 5, requires_grad=True)
b = torch.randn(7, 1, 5, 2, requires_grad=True)
c = torch.matmul(a, b)
c.sum().backward()
print(c.shape, a.grad.shape, b.grad.shape, f"{b.grad.sum().item():.4f}")
e = torch.einsum('bij,bjk->bik', torch.randn(2, 3, 4), torch.randn(2, 4, 5))
print(e.shape, torch.einsum('...ij->...ji', torch.randn(2, 3, 4)).shape, torch.einsum('ii', torch.eye(3)))
results.update({"capsule_network/W": net.digit.W.detach(), "capsule_network/lengths": lengths.detach(),
                "capsule_network/ag": a.grad})
'''


SAVE_LOAD = r'''
import io
import os
import pickle
import torch
import torch.nn as nn
from collections import OrderedDict

torch.manual_seed(0)


class TinyCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2))
        self.fc = nn.Linear(4 * 5 * 5, 3)
        self.register_buffer("scale", torch.tensor(2.0))
        self.register_buffer("tmp", torch.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1)) * self.scale


model = TinyCNN()
model.train()
model(torch.randn(4, 1, 12, 12))
model.eval()
x = torch.randn(2, 1, 12, 12)
ref = model(x)

torch.save(model, "model_full.pt")
try:
    torch.load("model_full.pt")
except pickle.UnpicklingError as e:
    print("UnpicklingError", str(e).splitlines()[0])
m2 = torch.load("model_full.pt", weights_only=False)
print(type(m2).__name__, m2.training, torch.equal(m2(x), ref))

torch.save(model.state_dict(), "sd.pt")
sd = torch.load("sd.pt", weights_only=True)
print(type(sd).__name__, list(sd.keys()))
print(sd["features.1.num_batches_tracked"], sd["scale"].dtype, sd._metadata[""], sd._metadata["features.1"])
m3 = TinyCNN()
res = m3.load_state_dict(sd)
print(res, res.missing_keys)
m3.eval()
print(torch.equal(m3(x), ref))
bad = OrderedDict(sd)
bad.pop("fc.bias")
bad["extra"] = torch.ones(1)
res = m3.load_state_dict(bad, strict=False)
print(res)
try:
    m3.load_state_dict(bad)
except RuntimeError as e:
    print("RuntimeError", e)
bad2 = dict(sd)
bad2["fc.weight"] = torch.zeros(3, 7)
try:
    m3.load_state_dict(bad2)
except RuntimeError as e:
    print("RuntimeError", e)

opt = torch.optim.Adam(model.parameters(), lr=1e-3)
model.train()
model(torch.randn(4, 1, 12, 12)).sum().backward()
opt.step()
ckpt = {"epoch": 3, "model_state_dict": model.state_dict(), "optimizer_state_dict": opt.state_dict(),
        "loss": 0.25, "hparams": {"lr": 1e-3, "betas": (0.9, 0.999), "name": "tiny"}}
buf = io.BytesIO()
torch.save(ckpt, buf)
buf.seek(0)
loaded = torch.load(buf, weights_only=True, map_location="cpu")
print(loaded["epoch"], loaded["loss"], loaded["hparams"], list(loaded["optimizer_state_dict"]["state"][0]))
optimizer_state = loaded["optimizer_state_dict"]
print(optimizer_state["param_groups"][0]["betas"], optimizer_state["state"][0]["step"])
opt2 = torch.optim.Adam(m3.parameters())
opt2.load_state_dict(loaded["optimizer_state_dict"])
print(opt2.param_groups[0]["lr"], opt2.state[m3.fc.weight]["exp_avg"].shape)

torch.save({"model": model}, "wrapped.pt")
try:
    torch.load("wrapped.pt", weights_only=True)
except Exception as e:
    print(type(e).__name__, str(e).splitlines()[0])
with torch.serialization.safe_globals([TinyCNN]):
    try:
        torch.load("wrapped.pt", weights_only=True)
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0][:60])
print(sorted(str(g) for g in torch.serialization.get_unsafe_globals_in_checkpoint("wrapped.pt")))

t = torch.arange(10.)
view = t[2:5]
torch.save({"t": t, "view": view}, "shared.pt")
l = torch.load("shared.pt")
l["view"][0] = 100
print(l["t"][:4], l["view"].storage_offset(), os.path.getsize("shared.pt") < 2000)
torch.save(view, "view.pt")
lv = torch.load("view.pt")
print(lv.storage_offset(), lv.untyped_storage().nbytes(), lv.clone().untyped_storage().nbytes())
torch.save([torch.tensor([1, 2], dtype=torch.int16), torch.tensor(True), torch.tensor([1 + 2j]), 7, "s", None],
           "misc.pt")
print(torch.load("misc.pt", weights_only=True))
print(torch.load("sd.pt", mmap=True, weights_only=True)["scale"])
torch.save(ref, "results_ref.pt", _use_new_zipfile_serialization=False)
print(torch.equal(torch.load("results_ref.pt"), ref))
results.update({"save_load/ref": ref.detach()})
'''


PRUNING = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune

torch.manual_seed(0)


class LeNet(nn.Module):
    def __init__(self):
        super(LeNet, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 3)
        self.conv2 = nn.Conv2d(6, 16, 3)
        self.fc1 = nn.Linear(16 * 5 * 5, 32)
        self.fc2 = nn.Linear(32, 16)
        self.fc3 = nn.Linear(16, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, int(x.nelement() / x.shape[0]))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def sparsity(t):
    return 100. * float(torch.sum(t == 0)) / float(t.nelement())


model = LeNet()
x = torch.randn(4, 1, 28, 28)
module = model.conv1
print(list(module.named_parameters())[0][0], list(module.named_buffers()))
prune.random_unstructured(module, name="weight", amount=0.3)
print([n for n, _ in module.named_parameters()], [n for n, _ in module.named_buffers()])
print(module.weight_mask.sum().item(), module._forward_pre_hooks)
prune.l1_unstructured(module, name="bias", amount=3)
print(module.bias_mask)
prune.ln_structured(module, name="weight", amount=0.5, n=2, dim=0)
print(module.weight_mask.sum(dim=(1, 2, 3)))
for hook in module._forward_pre_hooks.values():
    if hook._tensor_name == "weight":
        break
print(list(hook), [type(h).__name__ for h in hook._pruning_methods])
print(sorted(model.state_dict().keys())[:4])
prune.remove(module, 'weight')
print([n for n, _ in module.named_parameters()], [n for n, _ in module.named_buffers()])
print(f"{sparsity(module.weight):.2f}")

new_model = LeNet()
for name, m in new_model.named_modules():
    if isinstance(m, torch.nn.Conv2d):
        prune.l1_unstructured(m, name='weight', amount=0.2)
    elif isinstance(m, torch.nn.Linear):
        prune.l1_unstructured(m, name='weight', amount=0.4)
print(dict(new_model.named_buffers()).keys())

model = LeNet()
parameters_to_prune = ((model.conv1, 'weight'), (model.conv2, 'weight'), (model.fc1, 'weight'),
                       (model.fc2, 'weight'), (model.fc3, 'weight'))
prune.global_unstructured(parameters_to_prune, pruning_method=prune.L1Unstructured, amount=0.2)
for m, n in parameters_to_prune:
    print(f"Sparsity in {n} of {type(m).__name__}: {sparsity(getattr(m, n)):.2f}%")
total = sum(float(torch.sum(getattr(m, n) == 0)) for m, n in parameters_to_prune)
print(f"Global sparsity: {100. * total / sum(getattr(m, n).nelement() for m, n in parameters_to_prune):.2f}%")


class FooBarPruningMethod(prune.BasePruningMethod):
    PRUNING_TYPE = 'unstructured'

    def compute_mask(self, t, default_mask):
        mask = default_mask.clone()
        mask.view(-1)[::2] = 0
        return mask


def foobar_unstructured(module, name):
    FooBarPruningMethod.apply(module, name)
    return module


foobar_unstructured(model.fc3, name='bias')
print(model.fc3.bias_mask)

# fine-tune pruned model: gradients are masked
opt = torch.optim.SGD(model.parameters(), lr=0.1)
y = torch.randint(0, 10, (4,))
for step in range(3):
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.5f}", f"{sparsity(model.fc1.weight):.2f}",
          (model.fc1.weight_orig.grad[model.fc1.weight_mask == 0] == 0).all().item())
print(prune.is_pruned(model), prune.is_pruned(nn.Linear(2, 2)))
prune.identity(model.fc2, "bias")
print(model.fc2.bias_mask.sum().item())
for m, n in parameters_to_prune:
    prune.remove(m, n)
print(prune.is_pruned(model), len(model.state_dict()))
try:
    prune.remove(model.conv1, "weight")
except ValueError as e:
    print("ValueError:", e)
try:
    prune.l1_unstructured(model.fc2, "weight", amount=1.5)
except ValueError as e:
    print("ValueError:", e)
try:
    prune.l1_unstructured(model.fc2, "weight", amount=500)
except ValueError as e:
    print("ValueError:", e)
results.update({"pruning/fc1": model.fc1.weight.detach(), "pruning/c1": model.conv1.weight.detach()})
'''


FREEZING = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.layer2 = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.layer3 = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 100)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.layer3(self.layer2(self.layer1(x)))), 1))


model = Backbone()
pretrained = {k: v.clone() for k, v in model.state_dict().items()}
model.requires_grad_(False)
model.fc = nn.Linear(model.fc.in_features, 4)
for p in model.layer3.parameters():
    p.requires_grad = True
trainable = [n for n, p in model.named_parameters() if p.requires_grad]
print(trainable)
print(sum(p.numel() for p in model.parameters() if p.requires_grad), sum(p.numel() for p in model.parameters()))


def set_bn_eval(m):
    if isinstance(m, nn.BatchNorm2d) and not any(p.requires_grad for p in m.parameters()):
        m.eval()


optimizer = torch.optim.SGD([
    {"params": model.layer3.parameters(), "lr": 1e-3},
    {"params": model.fc.parameters()},
], lr=1e-2, momentum=0.9, weight_decay=1e-4)
print([(g["lr"], len(g["params"]), g["momentum"]) for g in optimizer.param_groups])
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
X = torch.randn(12, 3, 16, 16)
Y = torch.randint(0, 4, (12,))
for epoch in range(4):
    model.train()
    model.apply(set_bn_eval)
    for i in range(0, 12, 4):
        out = model(X[i:i + 4])
        loss = F.cross_entropy(out, Y[i:i + 4])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()
    print(epoch, f"{loss.item():.5f}", [g["lr"] for g in optimizer.param_groups],
          model.layer1[1].training, model.layer3[1].training, model.layer1[0].weight.grad,
          model.layer3[0].weight.grad is not None)
print(torch.equal(model.layer1[0].weight, pretrained["layer1.0.weight"]),
      torch.equal(model.layer1[1].running_mean, pretrained["layer1.1.running_mean"]),
      torch.equal(model.layer3[1].running_mean, pretrained["layer3.1.running_mean"]))

# unfreeze everything with a smaller lr: add_param_group
for p in model.layer2.parameters():
    p.requires_grad_(True)
optimizer.add_param_group({"params": model.layer2.parameters(), "lr": 1e-4})
print(len(optimizer.param_groups), optimizer.param_groups[2].keys() == optimizer.param_groups[0].keys(),
      optimizer.param_groups[2]["momentum"], optimizer.param_groups[2].get("initial_lr"))
try:
    optimizer.add_param_group({"params": model.fc.parameters()})
except ValueError as e:
    print("ValueError:", e)
out = model(X[:4])
F.cross_entropy(out, Y[:4]).backward()
optimizer.step()
print(model.layer2[0].weight.grad.shape, f"{model.layer2[0].weight.grad.norm().item():.5f}")

# discriminative learning rates by name
named = list(model.named_parameters())
groups = [{"params": [p for n, p in named if n.startswith(f"layer{i}")], "lr": 1e-3 * (2 ** i)} for i in (1, 2, 3)]
groups.append({"params": [p for n, p in named if n.startswith("fc")], "lr": 1e-1, "weight_decay": 0})
opt2 = torch.optim.AdamW(groups, lr=5e-3)
print([(g["lr"], g["weight_decay"], len(g["params"])) for g in opt2.param_groups])
with torch.no_grad():
    feats = model.layer3(model.layer2(model.layer1(X[:2])))
print(feats.requires_grad, feats.shape)
x = X[:2].clone().requires_grad_()
with torch.set_grad_enabled(False):
    y = model(x)
print(y.requires_grad, y.grad_fn)
frozen = nn.Linear(3, 3).requires_grad_(False)
z = frozen(torch.randn(2, 3, requires_grad=True))
print(z.requires_grad, type(z.grad_fn).__name__)
try:
    frozen(torch.randn(2, 3)).sum().backward()
except RuntimeError as e:
    print("RuntimeError:", e)
results.update({"freezing/fc": model.fc.weight.detach(), "freezing/l3": model.layer3[0].weight.detach(),
                "freezing/rm3": model.layer3[1].running_mean})
'''


NN_UTILS = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import parametrize, parameters_to_vector, vector_to_parameters
from torch.nn.utils.parametrizations import weight_norm, orthogonal, spectral_norm
from torch.nn.utils.fusion import fuse_conv_bn_eval
from torch.func import functional_call, stack_module_state, vmap, grad

torch.manual_seed(0)
conv = weight_norm(nn.Conv2d(3, 4, 3), name="weight", dim=0)
print(conv.parametrizations.weight.original0.shape, conv.parametrizations.weight.original1.shape)
print(parametrize.is_parametrized(conv), parametrize.is_parametrized(conv, "bias"), type(conv).__name__)
x = torch.randn(2, 3, 8, 8)
y = conv(x)
y.sum().backward()
print(f"{conv.parametrizations.weight.original0.grad.sum().item():.5f}")
with parametrize.cached():
    w1 = conv.weight
    w2 = conv.weight
print(w1 is w2)
parametrize.remove_parametrizations(conv, "weight", leave_parametrized=True)
print(type(conv).__name__, conv.weight.shape, isinstance(conv.weight, nn.Parameter))

lin = orthogonal(nn.Linear(4, 4))
q = lin.weight
print(torch.allclose(q @ q.T, torch.eye(4), atol=1e-5), sorted(lin.state_dict().keys()))
sn = spectral_norm(nn.Linear(5, 3))
for _ in range(5):
    sn(torch.randn(2, 5))
print(f"{torch.linalg.matrix_norm(sn.weight.detach(), 2).item():.3f}", sorted(sn.state_dict().keys()))


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


layer = nn.Linear(3, 3)
parametrize.register_parametrization(layer, "weight", Symmetric())
print(torch.equal(layer.weight, layer.weight.T), layer)

model = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4), nn.ReLU())
model.train()
model(torch.randn(4, 3, 8, 8))
model.eval()
fused = fuse_conv_bn_eval(model[0], model[1])
print(fused, torch.allclose(fused(x), model[1](model[0](x)), atol=1e-5))

vec = parameters_to_vector(model.parameters())
print(vec.shape)
vector_to_parameters(torch.zeros_like(vec), model.parameters())
print(model[0].weight.abs().sum().item())

net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
params = {k: v.detach() for k, v in net.named_parameters()}
inp = torch.randn(5, 3)
out = functional_call(net, params, (inp,))
print(torch.allclose(out, net(inp)))


def loss_fn(p, xi, yi):
    return F.mse_loss(functional_call(net, p, (xi[None],)), yi[None])


per_sample = vmap(grad(loss_fn), in_dims=(None, 0, 0))(params, inp, torch.randn(5, 1))
print({k: tuple(v.shape) for k, v in per_sample.items()})
models = [nn.Linear(3, 2) for _ in range(4)]
p, b = stack_module_state(models)
print({k: tuple(v.shape) for k, v in p.items()}, b)
J = torch.autograd.functional.jacobian(lambda t: t ** 2 + t.sum(), torch.tensor([1., 2.]))
H = torch.autograd.functional.hessian(lambda t: (t ** 3).sum(), torch.tensor([1., 2.]))
print(J, H)
print(nn.init.calculate_gain('leaky_relu', 0.2), nn.init.calculate_gain('tanh'), nn.init.calculate_gain('selu'))
w = torch.empty(3, 5)
nn.init.orthogonal_(w, gain=2)
print(f"{w.abs().sum().item():.4f}")
nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain('relu'))
print(f"{w.abs().sum().item():.4f}")
nn.init.kaiming_uniform_(w, a=0.1, mode='fan_out', nonlinearity='leaky_relu')
print(f"{w.abs().sum().item():.4f}")
nn.init.sparse_(w, sparsity=0.5)
print((w == 0).sum().item())
nn.init.dirac_(torch.empty(4, 2, 3, 3), groups=2)
nn.init.eye_(w)
print(w.sum().item())
s = nn.utils.skip_init(nn.Linear, 3, 2)
print(s.weight.shape)
g = [torch.randn(3, requires_grad=True) for _ in range(2)]
for t in g:
    t.grad = torch.randn(3) * 10
print(f"{nn.utils.clip_grad_norm_(g, 1.0, norm_type='inf').item():.4f}",
      f"{nn.utils.get_total_norm([t.grad for t in g]).item():.4f}")
nn.utils.clip_grad_value_(g, 0.1)
print(g[0].grad.abs().max().item())
cl = nn.Conv2d(3, 4, 3).to(memory_format=torch.channels_last)
print(cl.weight.is_contiguous(memory_format=torch.channels_last),
      cl(x.to(memory_format=torch.channels_last)).stride())
'''


SUPER_RESOLUTION = r'''
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class ESPCN(nn.Module):
    def __init__(self, scale_factor=3, num_channels=1):
        super(ESPCN, self).__init__()
        self.first_part = nn.Sequential(
            nn.Conv2d(num_channels, 16, kernel_size=5, padding=5 // 2), nn.Tanh(),
            nn.Conv2d(16, 8, kernel_size=3, padding=3 // 2), nn.Tanh(),
        )
        self.last_part = nn.Sequential(
            nn.Conv2d(8, num_channels * (scale_factor ** 2), kernel_size=3, padding=3 // 2),
            nn.PixelShuffle(scale_factor)
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m.in_channels == 8:
                    nn.init.normal_(m.weight.data, mean=0.0, std=0.001)
                    nn.init.zeros_(m.bias.data)
                else:
                    nn.init.normal_(m.weight.data, mean=0.0,
                                    std=math.sqrt(2 / (m.out_channels * m.weight.data[0][0].numel())))
                    nn.init.zeros_(m.bias.data)

    def forward(self, x):
        return self.last_part(self.first_part(x))


def gaussian(window_size, sigma):
    gauss = torch.Tensor([math.exp(-(x - window_size // 2) ** 2 / float(2 * sigma ** 2))
                          for x in range(window_size)])
    return gauss / gauss.sum()


def create_window(window_size, channel):
    _1D_window = gaussian(window_size, 1.5).unsqueeze(1)
    _2D_window = _1D_window.mm(_1D_window.t()).float().unsqueeze(0).unsqueeze(0)
    window = torch.autograd.Variable(_2D_window.expand(channel, 1, window_size, window_size).contiguous())
    return window


def ssim(img1, img2, window_size=11, size_average=True):
    channel = img1.size(1)
    window = create_window(window_size, channel).type_as(img1)
    mu1 = F.conv2d(img1, window, padding=window_size // 2, groups=channel)
    mu2 = F.conv2d(img2, window, padding=window_size // 2, groups=channel)
    mu1_sq, mu2_sq, mu1_mu2 = mu1.pow(2), mu2.pow(2), mu1 * mu2
    sigma1_sq = F.conv2d(img1 * img1, window, padding=window_size // 2, groups=channel) - mu1_sq
    sigma2_sq = F.conv2d(img2 * img2, window, padding=window_size // 2, groups=channel) - mu2_sq
    sigma12 = F.conv2d(img1 * img2, window, padding=window_size // 2, groups=channel) - mu1_mu2
    C1, C2 = 0.01 ** 2, 0.03 ** 2
    ssim_map = ((2 * mu1_mu2 + C1) * (2 * sigma12 + C2)) / ((mu1_sq + mu2_sq + C1) * (sigma1_sq + sigma2_sq + C2))
    return ssim_map.mean() if size_average else ssim_map.mean(1).mean(1).mean(1)


def psnr(img1, img2):
    mse = torch.mean((img1 - img2) ** 2)
    return 20 * torch.log10(1.0 / torch.sqrt(mse))


hr = torch.rand(4, 1, 24, 24)
hr = F.avg_pool2d(F.pad(hr, (1, 1, 1, 1), mode='replicate'), 3, stride=1)
lr = F.interpolate(hr, scale_factor=1 / 3, mode='bicubic', align_corners=False, antialias=True)
print(lr.shape, f"{lr.mean().item():.6f}")
bicubic = F.interpolate(lr, scale_factor=3, mode='bicubic', align_corners=False).clamp(0, 1)
print(f"bicubic PSNR {psnr(bicubic, hr).item():.4f} SSIM {ssim(bicubic, hr).item():.5f}")
print(f"{ssim(bicubic, hr, size_average=False)}")
model = ESPCN(3)
opt = torch.optim.Adam([{'params': model.first_part.parameters()},
                        {'params': model.last_part.parameters(), 'lr': 1e-3 * 0.1}], lr=1e-3)
for epoch in range(5):
    sr = model(lr)
    loss = F.mse_loss(sr, hr)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(epoch, f"{loss.item():.6f}", f"{psnr(sr.clamp(0, 1), hr).item():.4f}")
print(nn.PixelShuffle(2)(torch.arange(16.).view(1, 4, 2, 2)))
print(nn.PixelUnshuffle(2)(torch.arange(16.).view(1, 1, 4, 4)).shape)
x = torch.arange(1, 10.).view(1, 1, 3, 3)
for mode, kw in [("nearest", {}), ("nearest-exact", {}), ("bilinear", {"align_corners": True}),
                 ("bilinear", {"align_corners": False, "antialias": True}), ("bicubic", {"align_corners": True}),
                 ("area", {})]:
    print(mode, kw, F.interpolate(x, size=(5, 4), **kw, mode=mode).flatten().tolist()[:6])
print(F.interpolate(x, scale_factor=1.7, mode="bilinear", recompute_scale_factor=True).shape)
print(F.interpolate(x, scale_factor=0.5, mode="bilinear", antialias=True).flatten().tolist())
up = nn.Upsample(scale_factor=2, mode='bilinear')
print(up, up(x).shape)
results.update({"super_resolution/sr": sr.detach(), "super_resolution/lr": lr, "super_resolution/bic": bicubic})
'''


SEGNET = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class SegNetTiny(nn.Module):
    def __init__(self, in_ch=3, n_cls=4):
        super().__init__()
        # (no biases before the normalisations: their gradients are rounding noise, which Adam scales up)
        self.enc1 = nn.Sequential(nn.Conv2d(in_ch, 8, 3, padding=1, padding_mode='reflect', bias=False),
                                  nn.BatchNorm2d(8), nn.ReLU())
        self.enc2 = nn.Sequential(nn.Conv2d(8, 16, 3, padding='same', dilation=2, padding_mode='circular',
                                            bias=False),
                                  nn.GroupNorm(4, 16), nn.ReLU())
        self.pool = nn.MaxPool2d(2, 2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(2, 2)
        self.dec2 = nn.Sequential(nn.Conv2d(16, 8, 3, padding=1, padding_mode='replicate', bias=False),
                                  nn.InstanceNorm2d(8, affine=True, track_running_stats=True), nn.ReLU())
        self.dec1 = nn.Conv2d(8, n_cls, 1)

    def forward(self, x):
        x = self.enc1(x)
        s1 = x.size()
        x, i1 = self.pool(x)
        x = self.enc2(x)
        s2 = x.size()
        x, i2 = self.pool(x)
        x = self.unpool(x, i2, output_size=s2)
        x = self.dec2(x)
        x = self.unpool(x, i1, output_size=s1)
        return self.dec1(x)


model = SegNetTiny()
x = torch.randn(2, 3, 12, 10)
target = torch.randint(0, 4, (2, 12, 10))
target[0, :2] = 255
weights = torch.tensor([1.0, 2.0, 0.5, 1.5])
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(4):
    out = model(x)
    loss = F.cross_entropy(out, target, weight=weights, ignore_index=255)
    opt.zero_grad()
    loss.backward()
    opt.step()
    pred = out.argmax(1)
    valid = target != 255
    cm = torch.bincount(target[valid] * 4 + pred[valid], minlength=16).reshape(4, 4)
    iou = cm.diag() / (cm.sum(0) + cm.sum(1) - cm.diag()).clamp(min=1)
    print(step, f"{loss.item():.5f}", cm.tolist(), [round(v, 4) for v in iou.tolist()])
print(model.dec2[1].running_mean[:3], model.dec2[1].num_batches_tracked)
model.eval()
with torch.no_grad():
    evaluated = model(x)
print(evaluated.shape)

y = torch.randn(1, 2, 7, 7, requires_grad=True)
res = {}
res["avg_ceil"] = F.avg_pool2d(y, 3, 2, padding=1, ceil_mode=True, count_include_pad=False)
res["avg_div"] = F.avg_pool2d(y, 2, divisor_override=3)
res["lp"] = nn.LPPool2d(2, 3, stride=2)(y.abs() + 0.1)
res["amax"], idx = nn.AdaptiveMaxPool2d((3, 2), return_indices=True)(y)
res["mp_dil"], idx2 = F.max_pool2d(y, 3, stride=2, dilation=2, return_indices=True, ceil_mode=True)
res["frac"] = nn.FractionalMaxPool2d(2, output_size=(4, 4), _random_samples=torch.rand(1, 2, 2))(y)
res["lrn"] = nn.LocalResponseNorm(2)(y)
res["convT"] = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, groups=1, dilation=1)(y, output_size=[14, 14])
res["convT_g"] = nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=2)(y)
res["unfold"] = F.unfold(y, kernel_size=(2, 3), dilation=1, padding=1, stride=2)
res["fold"] = F.fold(res["unfold"], (7, 7), kernel_size=(2, 3), padding=1, stride=2)
res["pad_neg"] = nn.ZeroPad2d((-1, 2, 0, -2))(y)
res["refl"] = nn.ReflectionPad2d(3)(y)
res["shuffle"] = nn.ChannelShuffle(2)(torch.cat([y, y * 2], 1))
res["conv3d"] = nn.Conv3d(1, 2, (2, 3, 3), padding=(0, 1, 1))(y.unsqueeze(1))
total = sum(v.float().sum() for v in res.values())
total.backward()
for k, v in res.items():
    print(k, tuple(v.shape), f"{v.sum().item():.4f}")
print(idx.flatten().tolist(), idx2.flatten().tolist())
print(f"{y.grad.abs().sum().item():.2f}")
torch.manual_seed(1)
print(nn.AlphaDropout(0.5)(torch.ones(6)), nn.FeatureAlphaDropout(0.5)(torch.ones(1, 3, 2)),
      nn.Dropout1d(0.5)(torch.ones(1, 4, 2)))
try:
    nn.Conv2d(3, 3, 2, padding='same', stride=2)
except ValueError as e:
    print("ValueError:", e)
try:
    F.max_unpool2d(torch.randn(1, 1, 2, 2), torch.tensor([[[[0, 1], [2, 99]]]]), 2)
except RuntimeError as e:
    print("RuntimeError:", e)
results.update({"segnet/out": evaluated, "segnet/grad": y.grad,
                **{"segnet/" + k: v.detach().float() for k, v in res.items()}})
'''


DATA_PIPELINE = r'''
import collections
import math
import random

import numpy as np
import torch
from torch.utils.data import (Dataset, IterableDataset, DataLoader, get_worker_info, BatchSampler,
                              SubsetRandomSampler, SequentialSampler, RandomSampler, random_split,
                              default_collate, Subset)
from torch.utils.data.distributed import DistributedSampler
from torch.nn.utils.rnn import pad_sequence

torch.manual_seed(0)


class RangeIterable(IterableDataset):
    def __init__(self, start, end):
        super().__init__()
        self.start, self.end = start, end

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            lo, hi = self.start, self.end
        else:
            per = int(math.ceil((self.end - self.start) / float(info.num_workers)))
            lo = self.start + info.id * per
            hi = min(lo + per, self.end)
        return iter(range(lo, hi))


ds = RangeIterable(3, 10)
print(list(DataLoader(ds, num_workers=0)))
print(sorted(int(v) for v in DataLoader(ds, num_workers=2)))
print([b.tolist() for b in DataLoader(ds, batch_size=3, drop_last=True)])


def seed_worker(worker_id):
    worker_seed = torch.initial_seed() % 2**32
    np.random.seed(worker_seed)
    random.seed(worker_seed)


class Squares(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        info = get_worker_info()
        return {"x": torch.tensor([i, i * i], dtype=torch.float32), "y": i % 3, "name": f"s{i}",
                "worker": -1 if info is None else info.id, "noise": round(float(np.random.rand()), 6),
                "draw": random.randint(0, 99), "torch_draw": torch.randint(0, 99, ()).item()}


g = torch.Generator()
g.manual_seed(0)
loader = DataLoader(Squares(), batch_size=4, shuffle=True, generator=g, num_workers=2,
                    worker_init_fn=seed_worker, persistent_workers=True, prefetch_factor=2)
for epoch in range(2):
    for batch in loader:
        print(epoch, batch["x"][:, 0].tolist(), batch["y"], batch["name"], batch["worker"].tolist(),
              batch["noise"].tolist(), batch["draw"].tolist(), batch["torch_draw"].tolist())
print(len(loader), loader.batch_size, type(loader.sampler).__name__, type(loader.batch_sampler).__name__)

bs = BatchSampler(SubsetRandomSampler([0, 2, 4, 6, 8], generator=torch.Generator().manual_seed(1)), 2, False)
print(list(bs), len(bs))
print(list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=True)))
print(list(RandomSampler(range(5), replacement=True, num_samples=8, generator=torch.Generator().manual_seed(2))))
dl = DataLoader(Squares(), batch_sampler=BatchSampler(RandomSampler(range(10)), 3, True))
print([b["y"].tolist() for b in dl])
try:
    DataLoader(Squares(), batch_sampler=bs, batch_size=2)
except ValueError as e:
    print("ValueError:", e)
try:
    DataLoader(Squares(), shuffle=True, sampler=SequentialSampler(range(10)))
except ValueError as e:
    print("ValueError:", e)

for rank in range(2):
    s = DistributedSampler(range(11), num_replicas=2, rank=rank, shuffle=True, seed=5)
    s.set_epoch(1)
    print(rank, list(s), len(s))
print(list(DistributedSampler(range(11), num_replicas=3, rank=2, shuffle=False, drop_last=True)))

a, b, c = random_split(range(10), [0.5, 0.3, 0.2], generator=torch.Generator().manual_seed(42))
print(list(a), list(b), list(c))
try:
    random_split(range(10), [3, 3])
except ValueError as e:
    print("ValueError:", e)

Point = collections.namedtuple("Point", ["x", "y"])
print(default_collate([Point(1, 2.0), Point(3, 4.0)]))
print(default_collate([(torch.ones(2), [1, 2]), (torch.zeros(2), [3, 4])]))
print(default_collate([{"a": 1.5, "b": True}, {"a": 2.5, "b": False}]))
print(default_collate([np.array([1, 2]), np.array([3, 4])]), default_collate([np.float64(1.5), np.float64(2)]))
try:
    default_collate([object(), object()])
except TypeError as e:
    print("TypeError:", str(e)[:80])

seqs = [torch.tensor([1, 2, 3]), torch.tensor([4]), torch.tensor([5, 6])]
print(pad_sequence(seqs, batch_first=True, padding_value=-1))
print(pad_sequence(seqs, padding_side="left", batch_first=True))


def collate_pad(batch):
    xs, ys = zip(*batch)
    lengths = torch.tensor([len(x) for x in xs])
    return pad_sequence(xs, batch_first=True), lengths, torch.tensor(ys)


data = [(torch.arange(n), n % 2) for n in (3, 1, 4, 2, 5)]
for xb, lens, yb in DataLoader(data, batch_size=2, collate_fn=collate_pad):
    print(xb.tolist(), lens.tolist(), yb.tolist())
print(len(Subset(Squares(), [1, 2, 3])), Subset(Squares(), [5])[0]["name"])
print(Squares() + Squares(), len(Squares() + Squares()))
'''


WEIGHTED_SAMPLER = r'''
import torch
from torch.utils.data import WeightedRandomSampler, DataLoader, TensorDataset
from collections import Counter
torch.manual_seed(0)
targets = [0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 2]
class_counts = Counter(targets)
class_weights = {c: 1.0 / n for c, n in class_counts.items()}
sample_weights = [class_weights[t] for t in targets]
sampler = WeightedRandomSampler(sample_weights, num_samples=30, replacement=True)
print(list(sampler))
print(sampler.weights, sampler.weights.dtype, len(sampler))
loader = DataLoader(TensorDataset(torch.tensor(targets)), batch_size=5, sampler=sampler)
print([b[0].tolist() for b in loader])
print(list(WeightedRandomSampler([0.1, 0.9, 0.4], 6, generator=torch.Generator().manual_seed(3))))
print(list(WeightedRandomSampler(torch.tensor([1., 2., 3., 4.]), 3, replacement=False,
                                  generator=torch.Generator().manual_seed(1))))
print(list(WeightedRandomSampler(torch.tensor([1, 2, 3, 4]), 3)))
print(list(WeightedRandomSampler((0.5, 0.5), 4)))
import numpy as np
print(list(WeightedRandomSampler(np.array([1., 0., 3.]), 5)))
for bad in (([1.0, 2.0], 0), ([1.0, 2.0], 1.5), ([1.0, 2.0], True), ([[1., 2.]], 2), ([1.0, -2.0], 2),
            ([1.0, 2.0], 2, 'yes')):
    try:
        print(list(WeightedRandomSampler(*bad)))
    except Exception as e:
        print(type(e).__name__, e)
try:
    list(WeightedRandomSampler([1.0, 2.0], 5, replacement=False))
except RuntimeError as e:
    print("RuntimeError:", e)
try:
    list(WeightedRandomSampler([0.0, 0.0], 2))
except RuntimeError as e:
    print("RuntimeError:", e)
'''


SCHEDULERS = r'''
import warnings
import torch
import torch.nn as nn
from torch.optim import lr_scheduler as S

torch.manual_seed(0)


def make():
    m = nn.Linear(2, 1)
    return m, torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)


class WarmupCosine(S.LRScheduler):
    def __init__(self, optimizer, warmup, total, last_epoch=-1):
        self.warmup, self.total = warmup, total
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        import math
        e = self.last_epoch
        if e < self.warmup:
            return [b * (e + 1) / self.warmup for b in self.base_lrs]
        p = (e - self.warmup) / max(1, self.total - self.warmup)
        return [b * 0.5 * (1 + math.cos(math.pi * p)) for b in self.base_lrs]


class OldStyle(S._LRScheduler):
    def get_lr(self):
        return [g["lr"] * 0.9 for g in self.optimizer.param_groups]


def run(name, factory, steps=8, metric=False):
    m, opt = make()
    sch = factory(opt)
    lrs = []
    for i in range(steps):
        opt.step()
        if metric:
            sch.step(1.0)
        else:
            sch.step()
        lrs.append(round(opt.param_groups[0]["lr"], 6))
    print(name, lrs, [round(v, 6) for v in sch.get_last_lr()])
    return sch


run("warmupcos", lambda o: WarmupCosine(o, 3, 8))
run("old", lambda o: OldStyle(o))
run("seq", lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3),
                                       S.CosineAnnealingLR(o, T_max=5, eta_min=1e-3)], milestones=[3]))
run("chained", lambda o: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=2),
                                             S.ExponentialLR(o, gamma=0.9)]))
run("warm_restarts", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01))
run("cyclic", lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2, mode="triangular2"))
run("cyclic_exp", lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="exp_range",
                                       gamma=0.9, cycle_momentum=False))
run("poly", lambda o: S.PolynomialLR(o, total_iters=5, power=2.0))
run("multistep", lambda o: S.MultiStepLR(o, milestones=[2, 5], gamma=0.1))
run("mult", lambda o: S.MultiplicativeLR(o, lr_lambda=lambda e: 0.95))
run("plateau", lambda o: S.ReduceLROnPlateau(o, patience=1, factor=0.3, cooldown=1), metric=True)
run("onecycle3", lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=8, three_phase=True, anneal_strategy="linear"))

m, opt = make()
sch = S.CosineAnnealingWarmRestarts(opt, T_0=4)
iters = 5
for epoch in range(2):
    for i in range(iters):
        opt.step()
        sch.step(epoch + i / iters)
    print(epoch, round(opt.param_groups[0]["lr"], 6), sch.T_cur, sch.T_i)

with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    m, opt = make()
    sch = S.StepLR(opt, 2)
    sch.step()
    sch.step(5)
    print([(x.category.__name__, str(x.message)[:90]) for x in w])

m, opt = make()
sch = S.StepLR(opt, step_size=2, gamma=0.5)
for _ in range(3):
    opt.step()
    sch.step()
sd = sch.state_dict()
print(sd)
m2, opt2 = make()
sch2 = S.StepLR(opt2, step_size=2, gamma=0.5)
sch2.load_state_dict(sd)
print(sch2.last_epoch, sch2.get_last_lr(), opt2.param_groups[0]["lr"], opt2.param_groups[0]["initial_lr"])
try:
    S.StepLR(torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1), 2, last_epoch=3)
except KeyError as e:
    print("KeyError:", e)
try:
    S.LambdaLR(opt, [lambda e: 1, lambda e: 2])
except ValueError as e:
    print("ValueError:", e)
try:
    S.OneCycleLR(opt, max_lr=0.1)
except ValueError as e:
    print("ValueError:", e)
m, opt = make()
sl = S.SequentialLR(opt, [S.ConstantLR(opt, 0.5, 2), S.StepLR(opt, 1, 0.5)], milestones=[2])
print(sl.state_dict().keys(), [type(s).__name__ for s in sl._schedulers])
m, opt = make()
lam = S.LambdaLR(opt, lambda e: 0.9 ** e)
print(list(lam.state_dict().keys()), lam.state_dict()["lr_lambdas"])
'''


K_FOLD_AND_TTA = r'''
import csv
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, SubsetRandomSampler
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

torch.manual_seed(0)
np.random.seed(0)
X = torch.randn(60, 1, 12, 12)
y = torch.randint(0, 3, (60,))
ds = TensorDataset(X, y)


def make_model():
    return nn.Sequential(nn.Conv2d(1, 6, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.25),
                         nn.Linear(6 * 5 * 5, 3))


folds = np.array_split(np.random.permutation(len(ds)), 3)
history = {"train_loss": [], "val_acc": []}
oof = torch.zeros(len(ds), 3)
models = []
for k, val_idx in enumerate(folds):
    train_idx = np.concatenate([f for j, f in enumerate(folds) if j != k])
    tl = DataLoader(ds, batch_size=10, sampler=SubsetRandomSampler(train_idx))
    vl = DataLoader(ds, batch_size=10, sampler=SubsetRandomSampler(val_idx))
    model = make_model()
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, momentum=0.1, centered=True)
    for epoch in range(2):
        model.train()
        running = 0.0
        for xb, yb in tl:
            opt.zero_grad()
            loss = F.nll_loss(F.log_softmax(model(xb), dim=1), yb)
            loss.backward()
            opt.step()
            running += loss.item() * xb.size(0)
        history["train_loss"].append(running / len(train_idx))
    model.eval()
    correct = 0
    with torch.no_grad():
        for xb, yb in vl:
            correct += (model(xb).argmax(1) == yb).sum().item()
        probs = F.softmax(model(X[val_idx]), dim=1)
        oof[val_idx] = probs
    history["val_acc"].append(correct / len(val_idx))
    models.append(model)
    print(f"fold {k}: train {history['train_loss'][-1]:.4f} val acc {history['val_acc'][-1]:.3f}")
print("CV", np.mean(history["val_acc"]), np.std(history["val_acc"]))
test = torch.randn(5, 1, 12, 12)
preds = []
with torch.inference_mode():
    for m in models:
        p = F.softmax(m(test), 1) + F.softmax(m(torch.flip(test, dims=[3])), 1) + F.softmax(m(test.flip(2)), 1)
        preds.append(p / 3)
ens = torch.stack(preds).mean(0)
labels = np.argmax(ens.numpy(), axis=1)
with open("submission.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "label", "confidence"])
    for i, (lab, conf) in enumerate(zip(labels, ens.max(1).values.tolist())):
        w.writerow([i, int(lab), f"{conf:.4f}"])
print(open("submission.csv").read())
oof_np = oof.numpy()
print(oof_np.shape, oof_np.dtype, np.round(oof_np.sum(1)[:3], 5), (oof.argmax(1) == y).float().mean().item())
fig, ax = plt.subplots(1, 2)
ax[0].plot(history["train_loss"])
ax[1].imshow(X[0, 0], cmap="gray")
ax[1].imshow(models[0][0].weight.detach()[0, 0], cmap="viridis")
plt.hist(torch.randn(100).numpy(), bins=10)
fig.savefig("curves.png")
print(np.asarray(torch.arange(4)), np.array(torch.ones(2, dtype=torch.float64)).dtype, torch.tensor(np.int64(3)).dtype)
print(float(torch.tensor(2.5)), int(torch.tensor(3.9)), torch.tensor(5) // 2, np.float32(2) * torch.ones(2))
print(type(torch.tensor([1.0]).numpy()[0]).__name__, torch.tensor([1.5]).numpy().tolist(),
      np.mean(torch.ones(3).numpy()))
print(torch.from_numpy(np.ones((2, 2), dtype=np.float32)).T.is_contiguous(), torch.as_tensor(np.arange(3.)).dtype)
results.update({"k_fold_and_tta/oof": oof, "k_fold_and_tta/ens": ens})
'''


IMAGE_FOLDER = r'''
import os
from collections import Counter

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, WeightedRandomSampler
from torchvision import datasets, transforms

rng = np.random.RandomState(0)
pixels = {}
for cls, count in {"cat": 6, "dog": 2, "zebra": 3}.items():
    os.makedirs(os.path.join("data", cls))
    for i in range(count):
        array = rng.randint(0, 256, (20, 24, 3), dtype=np.uint8)
        image = Image.fromarray(array) if i % 2 == 0 else Image.fromarray(array[..., 0], mode="L")
        path = os.path.join("data", cls, f"{cls}_{i:02d}.png")
        image.save(path)
        pixels[path] = np.asarray(image.convert("RGB"))
open(os.path.join("data", "cat", "notes.txt"), "w").write("not an image")

tf = transforms.Compose([transforms.Lambda(lambda im: im.convert("RGB")), transforms.ToTensor(),
                         transforms.Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25])])
ds = datasets.ImageFolder("data", transform=tf)
print(ds.classes, ds.class_to_idx, len(ds), ds.targets)
print([os.path.relpath(p) for p, _ in ds.samples][:3])
expected = [(np.asarray(pixels[os.path.relpath(p)], np.float64).transpose(2, 0, 1) / 255 - 0.5) / 0.25
            for p, _ in ds.samples]
print(all(np.allclose(ds[i][0].numpy(), want, atol=1e-6) for i, want in enumerate(expected)))

class_counts = Counter(ds.targets)
weights = [1.0 / class_counts[t] for t in ds.targets]
sampler = WeightedRandomSampler(weights, num_samples=12, replacement=True, generator=torch.Generator().manual_seed(0))
drawn = list(sampler)
batches = list(DataLoader(ds, batch_size=4, sampler=WeightedRandomSampler(weights, 12, True,
                                                                          torch.Generator().manual_seed(0))))
print(drawn, [b[1].tolist() for b in batches])
print(all(np.allclose(batch_images[j].numpy(), expected[drawn[4 * k + j]], atol=1e-6)
          for k, (batch_images, _) in enumerate(batches) for j in range(4)))

gray = datasets.ImageFolder("data", transform=transforms.Compose([transforms.Grayscale(num_output_channels=3),
                                                                  transforms.PILToTensor()]),
                            target_transform=lambda t: t * 10, is_valid_file=lambda p: "_00" not in p and
                            p.endswith(".png"))
image, label = gray[1]
luma = np.asarray(Image.open(gray.samples[1][0]).convert("L"))
print(len(gray), label, image.dtype, tuple(image.shape), all(np.array_equal(c, luma) for c in image.numpy()))
'''
