"""Real-world PyTorch programs run unchanged under ``python -m torchless.as_torch``, each compared with PyTorch
running the same script: every printed line and, within float32's precision, the tensors a script saves.

- Segmentation and generative models: the original U-Net (center-cropped skips) and a padded one with Dice + BCE and
  soft Dice losses, convolutional and denoising autoencoders, a convolutional VAE (reparameterisation, KL by hand and
  by ``torch.distributions``).
- Metric learning and NLP: a Siamese net with a hand-written contrastive loss, triplet losses and batch-hard mining,
  TextCNN and Kim's CNN over embeddings, knowledge distillation (``KLDivLoss(log_softmax(s/T), softmax(t/T)) * T*T``).
- Training recipes: custom initialisation by ``model.apply``, a learning-rate range test, gradient clipping by norm
  and value, SE/CBAM attention, depthwise separable and inverted residual blocks, batch norm in its modes, label
  smoothing, focal losses, confusion matrices and top-k accuracy, checkpoints resumed bit for bit.
- ``torch.jit.trace`` and ``torch.jit.script`` of a small CNN.

Floats summed over many elements are printed to 4 or 5 significant digits: PyTorch adds in its own vectorised order,
torchless in NumPy's pairwise one.

Fixed on the way (``torch.jit``):

- ``trace`` ran the traced function once, with ``is_tracing()`` false. PyTorch's tracer runs it with
  ``is_tracing()`` true, and its default ``check_trace`` traces it again and runs it plainly for each check input
  (``forward`` runs three times; its prints show three times), warning a ``TracerWarning`` for each output of the
  two that differs (a model left in training mode with dropout).
- Reading a tensor's values while tracing (``bool``, ``item``, ``int``, ``float``, ``tolist``, ``numpy``, ``len``) and
  making a tensor of data (``torch.tensor``, ``as_tensor``, ``from_numpy``) warn PyTorch's TracerWarnings at the
  reader's line; the library's own reads are filtered out as PyTorch filters its own.
- What a traced function returns is checked as PyTorch checks it: None, numbers and (with ``strict``) dicts are
  refused with PyTorch's messages, a list is warned of.
- ``trace_module``, ``TracerWarning`` and ``Error`` were missing; ``trace`` of a module's bound ``forward`` traces the
  module; a list of example inputs is taken as the arguments; tracing a ScriptModule again warns and returns it;
  a module without example inputs is refused with torch 2.13's message ("example_kwarg_inputs should be a dict").
- ``torch.onnx`` was missing: model code asks ``is_in_onnx_export()`` and scripts end with ``torch.onnx.export``,
  which torchless cannot do. It now fails where PyTorch's fails without the exporters' packages (``onnxscript``;
  for the legacy exporter ``onnx``, after its DeprecationWarning and one traced run of the model in eval mode), and
  is refused, naming torchless, where they are installed.
- ``torch.hub.load``, ``list`` and ``help`` were missing: they read a repository's ``hubconf.py``, local or downloaded
  from GitHub into the hub directory as PyTorch does (trust prompt, fork validation, cache), and run its entries.
"""
import importlib.util
import warnings

import numpy as np
import pytest

import torchless
from helpers import same_program

torch = pytest.importorskip("torch")


def test_unet_segmentation_with_center_cropped_skips_and_dice_bce_loss(tmp_path, monkeypatch):
    """The original U-Net (unpadded convolutions, ConvTranspose2d up-sampling, skips center-cropped and concatenated)
    trained with Dice + BCE, then a padded U-Net on odd sizes with cross entropy + soft Dice."""
    same_program(tmp_path, monkeypatch, r'''
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        torch.manual_seed(0)


        class DoubleConv(nn.Module):
            def __init__(self, in_channels, out_channels, padding=0):
                super(DoubleConv, self).__init__()
                self.conv = nn.Sequential(
                    nn.Conv2d(in_channels, out_channels, 3, 1, padding, bias=False),
                    nn.BatchNorm2d(out_channels),
                    nn.ReLU(inplace=True),
                    nn.Conv2d(out_channels, out_channels, 3, 1, padding, bias=False),
                    nn.BatchNorm2d(out_channels),
                    nn.ReLU(inplace=True),
                )

            def forward(self, x):
                return self.conv(x)


        def center_crop(layer, target_size):
            _, _, layer_height, layer_width = layer.size()
            diff_y = (layer_height - target_size[0]) // 2
            diff_x = (layer_width - target_size[1]) // 2
            return layer[:, :, diff_y:(diff_y + target_size[0]), diff_x:(diff_x + target_size[1])]


        class UNet(nn.Module):
            """The original paper's U-Net: unpadded convolutions, skips cropped to the decoder's size."""
            def __init__(self, in_channels=1, out_channels=1, features=[4, 8, 16]):
                super(UNet, self).__init__()
                self.ups = nn.ModuleList()
                self.downs = nn.ModuleList()
                self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
                for feature in features:
                    self.downs.append(DoubleConv(in_channels, feature))
                    in_channels = feature
                for feature in reversed(features):
                    self.ups.append(nn.ConvTranspose2d(feature * 2, feature, kernel_size=2, stride=2))
                    self.ups.append(DoubleConv(feature * 2, feature))
                self.bottleneck = DoubleConv(features[-1], features[-1] * 2)
                self.final_conv = nn.Conv2d(features[0], out_channels, kernel_size=1)

            def forward(self, x):
                skip_connections = []
                for down in self.downs:
                    x = down(x)
                    skip_connections.append(x)
                    x = self.pool(x)
                x = self.bottleneck(x)
                skip_connections = skip_connections[::-1]
                for idx in range(0, len(self.ups), 2):
                    x = self.ups[idx](x)
                    skip_connection = center_crop(skip_connections[idx // 2], x.shape[2:])
                    concat_skip = torch.cat((skip_connection, x), dim=1)
                    x = self.ups[idx + 1](concat_skip)
                return self.final_conv(x)


        class PaddedUNet(UNet):
            """The padded variant most tutorials use, resizing when odd sizes do not line up."""
            def __init__(self, in_channels=3, out_channels=2, features=[4, 8]):
                super().__init__(in_channels, out_channels, features)
                for m in self.modules():
                    if isinstance(m, DoubleConv):
                        for conv in m.conv:
                            if isinstance(conv, nn.Conv2d):
                                conv.padding = (1, 1)

            def forward(self, x):
                skip_connections = []
                for down in self.downs:
                    x = down(x)
                    skip_connections.append(x)
                    x = self.pool(x)
                x = self.bottleneck(x)
                skip_connections = skip_connections[::-1]
                for idx in range(0, len(self.ups), 2):
                    x = self.ups[idx](x)
                    skip_connection = skip_connections[idx // 2]
                    if x.shape != skip_connection.shape:
                        x = F.interpolate(x, size=skip_connection.shape[2:], mode="bilinear", align_corners=False)
                    x = torch.cat((skip_connection, x), dim=1)
                    x = self.ups[idx + 1](x)
                return self.final_conv(x)


        class DiceLoss(nn.Module):
            def __init__(self, weight=None, size_average=True):
                super(DiceLoss, self).__init__()

            def forward(self, inputs, targets, smooth=1):
                inputs = torch.sigmoid(inputs)
                inputs = inputs.view(-1)
                targets = targets.view(-1)
                intersection = (inputs * targets).sum()
                dice = (2. * intersection + smooth) / (inputs.sum() + targets.sum() + smooth)
                return 1 - dice


        class DiceBCELoss(nn.Module):
            def __init__(self, weight=None, size_average=True):
                super(DiceBCELoss, self).__init__()

            def forward(self, inputs, targets, smooth=1):
                BCE = F.binary_cross_entropy_with_logits(inputs, targets, reduction='mean')
                inputs = torch.sigmoid(inputs)
                inputs = inputs.view(-1)
                targets = targets.view(-1)
                intersection = (inputs * targets).sum()
                dice_loss = 1 - (2. * intersection + smooth) / (inputs.sum() + targets.sum() + smooth)
                return BCE + dice_loss


        def dice_coeff(pred, target, eps=1e-6):
            pred = (torch.sigmoid(pred) > 0.5).float()
            inter = (pred * target).sum(dim=(2, 3))
            union = pred.sum(dim=(2, 3)) + target.sum(dim=(2, 3))
            return ((2 * inter + eps) / (union + eps)).mean()


        def iou_score(output, target):
            smooth = 1e-5
            output = torch.sigmoid(output).data.cpu().numpy()
            target = target.data.cpu().numpy()
            output_ = output > 0.5
            target_ = target > 0.5
            intersection = (output_ & target_).sum()
            union = (output_ | target_).sum()
            return (intersection + smooth) / (union + smooth)


        model = UNet()
        print(model.ups)
        print(sum(p.numel() for p in model.parameters() if p.requires_grad))
        x = torch.randn(2, 1, 92, 92)
        out = model(x)
        print(x.shape, '->', out.shape)
        masks = (torch.rand(2, 1, 92, 92) > 0.6).float()
        masks = center_crop(masks, out.shape[2:]).contiguous()
        print(masks.shape, masks.mean().item())

        criterion = DiceBCELoss()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        for step in range(3):
            model.train()
            optimizer.zero_grad()
            preds = model(x)
            loss = criterion(preds, masks)
            loss.backward()
            optimizer.step()
            print(f'step {step} loss {loss.item():.5f} dice {dice_coeff(preds.detach(), masks).item():.5f}')
        print(model.ups[0].weight.grad.shape, f'{model.ups[0].weight.grad.abs().sum().item():.4f}')
        model.eval()
        with torch.no_grad():
            preds = model(x)
            print(f'eval dice {DiceLoss()(preds, masks).item():.5f} iou {iou_score(preds, masks):.5f}')
            probs = torch.sigmoid(preds)
            pred_mask = (probs > 0.5).long().squeeze(1)
            print(pred_mask.shape, pred_mask.dtype, pred_mask.sum().item())

        # padded multi-class variant with odd input sizes and cross entropy + soft dice
        torch.manual_seed(1)
        net = PaddedUNet()
        img = torch.randn(2, 3, 21, 19)
        target = torch.randint(0, 2, (2, 21, 19))
        logits = net(img)
        print(logits.shape)
        ce = nn.CrossEntropyLoss()(logits, target)
        probs = F.softmax(logits, dim=1)
        one_hot = F.one_hot(target, num_classes=2).permute(0, 3, 1, 2).float()
        dims = (0, 2, 3)
        inter = torch.sum(probs * one_hot, dims)
        card = torch.sum(probs + one_hot, dims)
        dice = (2. * inter / (card + 1e-7)).mean()
        loss = ce + (1 - dice)
        loss.backward()
        print(f'{ce.item():.5f} {dice.item():.5f}')
        print(f'{net.ups[2].weight.grad.sum().item():.5f}', f'{net.downs[0].conv[0].weight.grad.norm().item():.5f}')
        print(logits.argmax(dim=1).shape, (logits.argmax(dim=1) == target).float().mean().item())
        torch.save({'out': out.detach(), 'grad': model.downs[0].conv[0].weight.grad, 'gup': net.ups[0].weight.grad,
                    'rm': model.bottleneck.conv[1].running_mean}, 'results.pt')
        ''')


def test_convolutional_and_denoising_autoencoders(tmp_path, monkeypatch):
    """Udacity's denoising autoencoder (noise clipped with np.clip on tensors) and a strided encoder with an
    output_padding decoder; latent interpolation with lerp and PSNR."""
    same_program(tmp_path, monkeypatch, r'''
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import numpy as np
        from torch.utils.data import DataLoader, TensorDataset

        torch.manual_seed(42)
        np.random.seed(42)


        class ConvAutoencoder(nn.Module):
            def __init__(self):
                super(ConvAutoencoder, self).__init__()
                # encoder
                self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
                self.conv2 = nn.Conv2d(16, 4, 3, padding=1)
                self.pool = nn.MaxPool2d(2, 2)
                # decoder
                self.t_conv1 = nn.ConvTranspose2d(4, 16, 2, stride=2)
                self.t_conv2 = nn.ConvTranspose2d(16, 1, 2, stride=2)

            def forward(self, x):
                x = F.relu(self.conv1(x))
                x = self.pool(x)
                x = F.relu(self.conv2(x))
                x = self.pool(x)
                x = F.relu(self.t_conv1(x))
                x = torch.sigmoid(self.t_conv2(x))
                return x


        class Autoencoder(nn.Module):
            """Strided encoder, ConvTranspose2d decoder with output_padding, as in the popular MNIST example."""
            def __init__(self):
                super().__init__()
                self.encoder = nn.Sequential(
                    nn.Conv2d(1, 8, 3, stride=2, padding=1),  # -> N, 8, 14, 14
                    nn.ReLU(),
                    nn.Conv2d(8, 16, 3, stride=2, padding=1),  # -> N, 16, 7, 7
                    nn.ReLU(),
                    nn.Conv2d(16, 32, 7)  # -> N, 32, 1, 1
                )
                self.decoder = nn.Sequential(
                    nn.ConvTranspose2d(32, 16, 7),
                    nn.ReLU(),
                    nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1),
                    nn.ReLU(),
                    nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1),
                    nn.Sigmoid()
                )

            def forward(self, x):
                encoded = self.encoder(x)
                decoded = self.decoder(encoded)
                return decoded


        images = torch.rand(12, 1, 28, 28)
        labels = torch.randint(0, 10, (12,))
        loader = DataLoader(TensorDataset(images, labels), batch_size=4, shuffle=True)

        model = ConvAutoencoder()
        print(model)
        criterion = nn.MSELoss()
        optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
        noise_factor = 0.5
        n_epochs = 2
        for epoch in range(1, n_epochs + 1):
            train_loss = 0.0
            for data in loader:
                images_b, _ = data
                noisy_imgs = images_b + noise_factor * torch.randn(*images_b.shape)
                noisy_imgs = np.clip(noisy_imgs, 0., 1.)
                optimizer.zero_grad()
                outputs = model(noisy_imgs)
                loss = criterion(outputs, images_b)
                loss.backward()
                optimizer.step()
                train_loss += loss.item() * images_b.size(0)
            train_loss = train_loss / len(loader)
            print('Epoch: {} \tTraining Loss: {:.6f}'.format(epoch, train_loss))

        dataiter = iter(loader)
        images_b, labels_b = next(dataiter)
        noisy_imgs = images_b + noise_factor * torch.randn(*images_b.shape)
        noisy_imgs = np.clip(noisy_imgs, 0., 1.)
        print(type(noisy_imgs).__name__, noisy_imgs.dtype, noisy_imgs.min().item(), noisy_imgs.max().item())
        output = model(noisy_imgs)
        noisy_np = noisy_imgs.numpy()
        output = output.view(4, 1, 28, 28)
        output = output.detach().numpy()
        print(noisy_np.shape, output.shape, output.dtype, np.round(output.mean(), 5))
        for noisy_img, row in zip([noisy_np, output], range(2)):
            for img in noisy_img:
                print(np.squeeze(img).shape, end=' ')
            print()

        # the second flavour: torch.clamp noise, strided encoder, the recon collected per epoch
        torch.manual_seed(0)
        model2 = Autoencoder()
        optimizer = torch.optim.Adam(model2.parameters(), lr=1e-3, weight_decay=1e-5)
        outputs = []
        for epoch in range(2):
            for (img, _) in DataLoader(TensorDataset(images, labels), batch_size=6):
                noisy = torch.clamp(img + 0.3 * torch.randn_like(img), 0., 1.)
                recon = model2(noisy)
                loss = criterion(recon, img)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            print(f'Epoch:{epoch+1}, Loss:{loss.item():.4f}')
            outputs.append((epoch, img, recon))
        print(len(outputs), outputs[-1][2].shape, outputs[-1][2].requires_grad)
        with torch.no_grad():
            code = model2.encoder(images[:3])
            print(code.shape, code.flatten(1).shape)
            interp = torch.lerp(code[0], code[1], torch.linspace(0, 1, 5).view(5, 1, 1, 1))
            print(interp.shape, model2.decoder(interp).shape)
        psnr = 10 * torch.log10(1 / F.mse_loss(model2(images), images))
        print(f'PSNR {psnr.item():.3f}')
        torch.save({'w': model.t_conv1.weight, 'g': model.t_conv2.weight.grad, 'w2': model2.decoder[2].weight,
                    'out': torch.from_numpy(output)}, 'results.pt')
        ''')


def test_convolutional_vae_reparameterisation_and_kl_terms(tmp_path, monkeypatch):
    """The KL term by hand, per sample (beta-VAE), and by torch.distributions; sampling and a latent traversal."""
    same_program(tmp_path, monkeypatch, r'''
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch import optim

        torch.manual_seed(1)


        class ConvVAE(nn.Module):
            def __init__(self, latent_dim=4):
                super(ConvVAE, self).__init__()
                self.enc = nn.Sequential(
                    nn.Conv2d(1, 8, kernel_size=4, stride=2, padding=1), nn.LeakyReLU(0.2),
                    nn.Conv2d(8, 16, kernel_size=4, stride=2, padding=1), nn.BatchNorm2d(16), nn.LeakyReLU(0.2),
                    nn.Flatten(),
                )
                self.fc_mu = nn.Linear(16 * 4 * 4, latent_dim)
                self.fc_log_var = nn.Linear(16 * 4 * 4, latent_dim)
                self.fc_dec = nn.Linear(latent_dim, 16 * 4 * 4)
                self.dec = nn.Sequential(
                    nn.Unflatten(1, (16, 4, 4)),
                    nn.ConvTranspose2d(16, 8, kernel_size=4, stride=2, padding=1), nn.ReLU(),
                    nn.ConvTranspose2d(8, 1, kernel_size=4, stride=2, padding=1),
                )

            def encode(self, x):
                h = self.enc(x)
                return self.fc_mu(h), self.fc_log_var(h)

            def reparameterize(self, mu, log_var):
                std = torch.exp(0.5 * log_var)
                eps = torch.randn_like(std)
                return mu + eps * std

            def decode(self, z):
                return torch.sigmoid(self.dec(self.fc_dec(z)))

            def forward(self, x):
                mu, log_var = self.encode(x)
                z = self.reparameterize(mu, log_var)
                return self.decode(z), mu, log_var


        def loss_function(recon_x, x, mu, logvar):
            BCE = F.binary_cross_entropy(recon_x.view(-1, 256), x.view(-1, 256), reduction='sum')
            KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            return BCE + KLD, BCE, KLD


        model = ConvVAE()
        print(model)
        optimizer = optim.Adam(model.parameters(), lr=1e-3)
        data = torch.rand(6, 1, 16, 16)
        for epoch in range(1, 3):
            model.train()
            optimizer.zero_grad()
            recon_batch, mu, logvar = model(data)
            loss, bce, kld = loss_function(recon_batch, data, mu, logvar)
            loss.backward()
            optimizer.step()
            print('====> Epoch: {} Average loss: {:.4f} (BCE {:.2f} KLD {:.4f})'.format(
                epoch, loss.item() / len(data), bce.item(), kld.item()))

        # beta-VAE with the KL averaged per sample and MSE reconstruction, as in the AntixK collection
        recons, mu, log_var = model(data)
        kld_weight = 0.5
        recons_loss = F.mse_loss(recons, data)
        kld_loss = torch.mean(-0.5 * torch.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1), dim=0)
        loss = recons_loss + kld_weight * kld_loss
        print({'loss': round(loss.item(), 5), 'Reconstruction_Loss': round(recons_loss.detach().item(), 5),
               'KLD': round(-kld_loss.detach().item(), 5)})
        loss.backward()
        print(model.fc_log_var.weight.grad.shape, f'{model.fc_mu.bias.grad.norm().item():.5f}')

        # torch.distributions: Normal.rsample, kl_divergence against the standard normal
        q = torch.distributions.Normal(mu, torch.exp(0.5 * log_var))
        p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(log_var))
        z = q.rsample()
        print(z.shape, z.requires_grad)
        kl = torch.distributions.kl_divergence(q, p).sum(-1).mean()
        print(f'{kl.item():.5f} {kld_loss.item():.5f}')
        log_qzx = q.log_prob(z)
        log_pz = p.log_prob(z)
        print(f'{(log_qzx - log_pz).sum(-1).mean().item():.4f}')

        model.eval()
        with torch.no_grad():
            sample = torch.randn(4, 4)
            sample = model.decode(sample).cpu()
            print(sample.view(4, 1, 16, 16).shape, f'{sample.mean().item():.5f}')
            # latent traversal
            z0 = mu[0:1].repeat(5, 1)
            z0[:, 0] = torch.linspace(-3, 3, 5)
            print(model.decode(z0).shape)
        torch.save({'sample': sample, 'mu': mu.detach(), 'g': model.enc[0].weight.grad, 'kl': kl.detach()}, 'results.pt')
        ''')


def test_siamese_network_contrastive_and_triplet_losses(tmp_path, monkeypatch):
    """A hand-written ContrastiveLoss on pairs, TripletMarginLoss in every flavour, a cosine-distance
    TripletMarginWithDistanceLoss, batch-hard mining with cdist, and the losses' errors."""
    same_program(tmp_path, monkeypatch, r'''
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim as optim
        import random
        import numpy as np

        torch.manual_seed(3)
        random.seed(3)


        class SiameseNetwork(nn.Module):
            def __init__(self):
                super(SiameseNetwork, self).__init__()
                self.cnn1 = nn.Sequential(
                    nn.ReflectionPad2d(1),
                    nn.Conv2d(1, 4, kernel_size=3),
                    nn.ReLU(inplace=True),
                    nn.BatchNorm2d(4),
                    nn.ReflectionPad2d(1),
                    nn.Conv2d(4, 8, kernel_size=3),
                    nn.ReLU(inplace=True),
                    nn.BatchNorm2d(8),
                )
                self.fc1 = nn.Sequential(
                    nn.Linear(8 * 10 * 10, 32),
                    nn.ReLU(inplace=True),
                    nn.Linear(32, 5))

            def forward_once(self, x):
                output = self.cnn1(x)
                output = output.view(output.size()[0], -1)
                output = self.fc1(output)
                return output

            def forward(self, input1, input2):
                output1 = self.forward_once(input1)
                output2 = self.forward_once(input2)
                return output1, output2


        class ContrastiveLoss(torch.nn.Module):
            """Contrastive loss function. Based on: http://yann.lecun.com/exdb/publis/pdf/hadsell-chopra-lecun-06.pdf"""

            def __init__(self, margin=2.0):
                super(ContrastiveLoss, self).__init__()
                self.margin = margin

            def forward(self, output1, output2, label):
                euclidean_distance = F.pairwise_distance(output1, output2, keepdim=True)
                loss_contrastive = torch.mean((1 - label) * torch.pow(euclidean_distance, 2) +
                                              (label) * torch.pow(torch.clamp(self.margin - euclidean_distance, min=0.0), 2))
                return loss_contrastive


        images = torch.rand(10, 1, 10, 10)
        classes = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])


        def make_pair():
            i = random.randint(0, 9)
            should_get_same_class = random.randint(0, 1)
            while True:
                j = random.randint(0, 9)
                if (classes[i] == classes[j]) == bool(should_get_same_class):
                    break
            return images[i], images[j], torch.from_numpy(np.array([int(classes[i] != classes[j])], dtype=np.float32))


        net = SiameseNetwork()
        criterion = ContrastiveLoss()
        optimizer = optim.Adam(net.parameters(), lr=0.0005)
        counter, loss_history = [], []
        for epoch in range(2):
            pairs = [make_pair() for _ in range(4)]
            img0 = torch.stack([p[0] for p in pairs])
            img1 = torch.stack([p[1] for p in pairs])
            label = torch.stack([p[2] for p in pairs])
            optimizer.zero_grad()
            output1, output2 = net(img0, img1)
            loss_contrastive = criterion(output1, output2, label)
            loss_contrastive.backward()
            optimizer.step()
            print("Epoch number {}\n Current loss {:.5f}\n".format(epoch, loss_contrastive.item()))
            loss_history.append(loss_contrastive.item())
        print(label.view(-1).tolist())
        net.eval()
        with torch.no_grad():
            output1, output2 = net(images[:3], images[3:6])
            euclidean_distance = F.pairwise_distance(output1, output2)
            print('Dissimilarity:', [f'{d:.4f}' for d in euclidean_distance.tolist()])
            print(F.cosine_similarity(output1, output2).shape)

        # triplet loss: the module, the functional form, a custom distance and hard negative mining
        torch.manual_seed(4)
        embed = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
        triplet_loss = nn.TripletMarginLoss(margin=1.0, p=2)
        print(triplet_loss, nn.TripletMarginLoss(margin=0.5, p=1, swap=True, reduction='sum'))
        anchor, positive, negative = embed(images[:4]), embed(images[4:8]), embed(torch.rand(4, 1, 10, 10))
        output = triplet_loss(anchor, positive, negative)
        output.backward()
        print(f'{output.item():.5f}', f'{embed[0].weight.grad.abs().sum().item():.5f}')
        for kw in [dict(p=1), dict(swap=True), dict(margin=0.1, reduction='none'), dict(eps=1e-3, p=3)]:
            out = F.triplet_margin_loss(anchor, positive, negative, **kw)
            print(kw, [round(v, 4) for v in out.detach().reshape(-1).tolist()])
        cos_triplet = nn.TripletMarginWithDistanceLoss(distance_function=lambda x, y: 1.0 - F.cosine_similarity(x, y),
                                                        margin=0.2)
        print(f'{cos_triplet(anchor, positive, negative).item():.5f}')
        print(nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance(), swap=True)(
            anchor, positive, negative).shape)

        # batch-hard mining by hand
        emb = F.normalize(embed(images), p=2, dim=1)
        dist = torch.cdist(emb, emb, p=2)
        same = classes.unsqueeze(0) == classes.unsqueeze(1)
        hardest_pos = (dist * same.float()).max(dim=1)[0]
        hardest_neg = (dist + 1e5 * same.float()).min(dim=1)[0]
        batch_hard = F.relu(hardest_pos - hardest_neg + 0.3).mean()
        print(f'{batch_hard.item():.5f}', same.sum().item())
        print(nn.CosineEmbeddingLoss(margin=0.1)(anchor, positive, torch.tensor([1, -1, 1, -1])).item() >= 0)
        # errors as PyTorch gives them
        for args in [(anchor, positive[:2], negative), (anchor[0], positive, negative)]:
            try:
                triplet_loss(*args)
            except Exception as e:
                print(type(e).__name__, e)
        torch.save({'a': anchor.detach(), 'dist': dist.detach(), 'g': embed[0].weight.grad, 'cnn': net.cnn1[1].weight}, 'results.pt')
        ''')


def test_textcnn_embedding_conv1d_max_over_time_and_kim_cnn(tmp_path, monkeypatch):
    """Ben Trevett's TextCNN (Embedding, Conv1d of several widths, max over time, dropout) and Kim's CNN
    with a frozen pretrained embedding channel."""
    same_program(tmp_path, monkeypatch, r'''
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.nn.utils.rnn import pad_sequence

        torch.manual_seed(7)

        sentences = ["i love this movie", "this film was awful", "what a great story", "boring and too long",
                     "great acting and plot", "i hated every minute"]
        labels = torch.tensor([1, 0, 1, 0, 1, 0])
        vocab = {'<pad>': 0, '<unk>': 1}
        for s in sentences:
            for w in s.split():
                vocab.setdefault(w, len(vocab))
        encoded = [torch.tensor([vocab.get(w, 1) for w in s.split()]) for s in sentences]
        inputs = pad_sequence(encoded, batch_first=True, padding_value=0)
        inputs = F.pad(inputs, (0, 5 - inputs.size(1)))  # at least the widest kernel
        print(len(vocab), inputs.shape, inputs.dtype, inputs[0].tolist())


        class TextCNN(nn.Module):
            def __init__(self, vocab_size, embed_dim, n_filters, filter_sizes, output_dim, dropout, pad_idx):
                super().__init__()
                self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_idx)
                self.convs = nn.ModuleList([
                    nn.Conv1d(in_channels=embed_dim, out_channels=n_filters, kernel_size=fs) for fs in filter_sizes])
                self.fc = nn.Linear(len(filter_sizes) * n_filters, output_dim)
                self.dropout = nn.Dropout(dropout)

            def forward(self, text):
                # text = [batch size, sent len]
                embedded = self.embedding(text)
                # embedded = [batch size, sent len, emb dim]
                embedded = embedded.permute(0, 2, 1)
                conved = [F.relu(conv(embedded)) for conv in self.convs]
                pooled = [F.max_pool1d(conv, conv.shape[2]).squeeze(2) for conv in conved]
                cat = self.dropout(torch.cat(pooled, dim=1))
                return self.fc(cat)


        class KimCNN(nn.Module):
            """Kim (2014) as yoonkim-style ports write it: Conv2d over (1, len, dim) with an unsqueeze, static+non-static."""
            def __init__(self, vocab_size, embed_dim=6, kernel_num=3, kernel_sizes=(2, 3), class_num=2):
                super().__init__()
                self.embed = nn.Embedding(vocab_size, embed_dim)
                self.static = nn.Embedding.from_pretrained(torch.randn(vocab_size, embed_dim), freeze=True)
                self.convs1 = nn.ModuleList([nn.Conv2d(2, kernel_num, (K, embed_dim)) for K in kernel_sizes])
                self.dropout = nn.Dropout(0.5)
                self.fc1 = nn.Linear(len(kernel_sizes) * kernel_num, class_num)

            def forward(self, x):
                x = torch.stack([self.embed(x), self.static(x)], dim=1)  # (N, 2, W, D)
                x = [F.relu(conv(x)).squeeze(3) for conv in self.convs1]  # [(N, Co, W), ...]
                x = [F.max_pool1d(i, i.size(2)).squeeze(2) for i in x]
                x = torch.cat(x, 1)
                x = self.dropout(x)
                return self.fc1(x)


        model = TextCNN(len(vocab), 8, 4, [2, 3, 4], 1, 0.5, vocab['<pad>'])
        print(model)
        print(f'The model has {sum(p.numel() for p in model.parameters() if p.requires_grad):,} trainable parameters')
        optimizer = torch.optim.Adam(model.parameters())
        criterion = nn.BCEWithLogitsLoss()


        def binary_accuracy(preds, y):
            rounded_preds = torch.round(torch.sigmoid(preds))
            correct = (rounded_preds == y).float()
            return correct.sum() / len(correct)


        for epoch in range(3):
            model.train()
            optimizer.zero_grad()
            predictions = model(inputs).squeeze(1)
            loss = criterion(predictions, labels.float())
            acc = binary_accuracy(predictions, labels.float())
            loss.backward()
            optimizer.step()
            print(f'Epoch: {epoch+1:02} | Train Loss: {loss.item():.4f} | Train Acc: {acc.item()*100:.2f}%')
        print(model.embedding.weight.grad[0].abs().sum().item(), model.embedding.weight[0].abs().sum().item())
        model.eval()
        with torch.no_grad():
            tokens = [vocab.get(w, 1) for w in "a great great movie".split()]
            tensor = torch.LongTensor(tokens).unsqueeze(0)
            print(tensor.shape, f'{torch.sigmoid(model(tensor)).item():.5f}')

        kim = KimCNN(len(vocab))
        opt = torch.optim.Adadelta(kim.parameters())
        for step in range(2):
            logit = kim(inputs)
            loss = F.cross_entropy(logit, labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
            corrects = (torch.max(logit, 1)[1].view(labels.size()).data == labels.data).sum()
            print(f'Batch[{step}] - loss: {loss.item():.6f}  acc: {100.0 * corrects / 6:.4f}%({corrects}/6)')
        print(kim.static.weight.requires_grad, kim.static.weight.grad, kim.embed.weight.grad.shape)
        # the adaptive flavour and global max with a mask, as attention-free baselines do it
        emb = model.embedding(inputs)
        mask = (inputs != 0).unsqueeze(-1)
        mean_pooled = (emb * mask).sum(1) / mask.sum(1).clamp(min=1)
        max_pooled = emb.masked_fill(~mask, float('-inf')).max(dim=1).values
        print(mean_pooled.shape, max_pooled.shape, F.adaptive_max_pool1d(emb.transpose(1, 2), 1).shape)
        torch.save({'emb': model.embedding.weight, 'c': model.convs[2].weight.grad, 'k': kim.convs1[0].weight,
                    'mp': max_pooled.detach()}, 'results.pt')
        ''')


def test_knowledge_distillation_losses(tmp_path, monkeypatch):
    """The PyTorch tutorial's and cs230's distillation losses, KLDivLoss in every reduction, FitNets hints and
    attention transfer."""
    same_program(tmp_path, monkeypatch, r'''
        import math
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim as optim

        torch.manual_seed(5)


        class Teacher(nn.Module):
            def __init__(self, num_classes=4):
                super().__init__()
                self.features = nn.Sequential(
                    nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(16, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
                self.classifier = nn.Sequential(nn.Linear(8 * 2 * 2, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, num_classes))

            def forward(self, x):
                return self.classifier(torch.flatten(self.features(x), 1))


        class Student(nn.Module):
            def __init__(self, num_classes=4):
                super().__init__()
                self.features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4))
                self.classifier = nn.Sequential(nn.Linear(4 * 2 * 2, num_classes))

            def forward(self, x):
                return self.classifier(torch.flatten(self.features(x), 1))


        def loss_fn_kd(outputs, labels, teacher_outputs, alpha, T):
            """Hinton's distillation loss as in the cs230 starter code."""
            KD_loss = nn.KLDivLoss()(F.log_softmax(outputs / T, dim=1),
                                     F.softmax(teacher_outputs / T, dim=1)) * (alpha * T * T) + \
                F.cross_entropy(outputs, labels) * (1. - alpha)
            return KD_loss


        x = torch.randn(8, 3, 8, 8)
        y = torch.randint(0, 4, (8,))
        teacher, student = Teacher(), Student()
        print(f'Teacher parameters: {sum(p.numel() for p in teacher.parameters()):,}')
        print(f'Student parameters: {sum(p.numel() for p in student.parameters()):,}')
        opt = optim.Adam(teacher.parameters(), lr=1e-3)
        for _ in range(2):
            opt.zero_grad()
            F.cross_entropy(teacher(x), y).backward()
            opt.step()

        # the PyTorch tutorial's train_knowledge_distillation
        T, soft_target_loss_weight, ce_loss_weight = 2, 0.25, 0.75
        ce_loss = nn.CrossEntropyLoss()
        optimizer = optim.Adam(student.parameters(), lr=1e-3)
        teacher.eval()
        student.train()
        for epoch in range(2):
            optimizer.zero_grad()
            with torch.no_grad():
                teacher_logits = teacher(x)
            student_logits = student(x)
            soft_targets = nn.functional.softmax(teacher_logits / T, dim=-1)
            soft_prob = nn.functional.log_softmax(student_logits / T, dim=-1)
            soft_targets_loss = torch.sum(soft_targets * (soft_targets.log() - soft_prob)) / soft_prob.size()[0] * (T ** 2)
            label_loss = ce_loss(student_logits, y)
            loss = soft_target_loss_weight * soft_targets_loss + ce_loss_weight * label_loss
            loss.backward()
            optimizer.step()
            print(f"Epoch {epoch+1}/2, Loss: {loss.item():.5f} soft {soft_targets_loss.item():.5f}")

        # KLDivLoss in its flavours: the legacy mean (warns), batchmean, log_target, and the functional
        s, t = student(x), teacher(x).detach()
        for reduction in ['mean', 'batchmean', 'sum', 'none']:
            kl = nn.KLDivLoss(reduction=reduction)(F.log_softmax(s / 4, dim=1), F.softmax(t / 4, dim=1)) * 16
            print(reduction, tuple(kl.shape), f'{kl.sum().item():.5f}')
        kl_log = nn.KLDivLoss(reduction='batchmean', log_target=True)(F.log_softmax(s / 4, 1), F.log_softmax(t / 4, 1))
        print(f'{kl_log.item():.5f}')
        loss = loss_fn_kd(s, y, t, alpha=0.9, T=4)
        loss.backward()
        print(f'{loss.item():.5f}', f'{student.features[0].weight.grad.norm().item():.5f}')
        # feature distillation (FitNets hint): a regressor 1x1 conv on the student features, MSE to the teacher's
        hint = nn.Conv2d(4, 8, 1)
        with torch.no_grad():
            t_feat = teacher.features(x)
        s_feat = F.adaptive_avg_pool2d(student.features(x), t_feat.shape[-2:])
        hint_loss = F.mse_loss(hint(s_feat), t_feat)
        print(s_feat.shape, t_feat.shape, f'{hint_loss.item():.5f}')
        # attention transfer
        def at(x):
            return F.normalize(x.pow(2).mean(1).view(x.size(0), -1))
        print(f'{(at(s_feat) - at(t_feat)).pow(2).mean().item():.6f}')
        torch.save({'s': student.classifier[0].weight, 'g': student.features[0].weight.grad, 'kl': kl_log.detach()}, 'results.pt')
        ''')


def test_custom_init_lr_range_test_and_gradient_clipping(tmp_path, monkeypatch):
    """model.apply initialisation (kaiming_normal_ fan_out, xavier_uniform_ with calculate_gain, trunc_normal_,
    orthogonal_), every initialiser and its errors, a learning-rate range test (an _LRScheduler subclass and
    LambdaLR), and gradient clipping by norm (2, inf, 1) and by value, by hooks too."""
    same_program(tmp_path, monkeypatch, r'''
        import copy
        import math
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim as optim
        from torch.optim.lr_scheduler import _LRScheduler, LambdaLR, ExponentialLR

        torch.manual_seed(11)


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 6, 3, padding=1)
                self.bn1 = nn.BatchNorm2d(6)
                self.conv2 = nn.Conv2d(6, 8, 3, stride=2, bias=False)
                self.fc = nn.Linear(8 * 3 * 3, 5)
                self.emb = nn.Embedding(5, 3)
                self.proj = nn.Linear(3, 5, bias=False)

            def forward(self, x):
                x = F.relu(self.bn1(self.conv1(x)))
                x = F.relu(self.conv2(x))
                return self.fc(x.flatten(1))


        def init_weights(m):
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight, gain=nn.init.calculate_gain('relu'))
                if m.bias is not None:
                    m.bias.data.fill_(0.01)
            elif isinstance(m, nn.Embedding):
                nn.init.trunc_normal_(m.weight, std=0.02, a=-0.04, b=0.04)


        model = Net()
        model.apply(init_weights)
        nn.init.orthogonal_(model.proj.weight, gain=nn.init.calculate_gain('tanh'))
        print([nn.init.calculate_gain(n) for n in ['linear', 'conv2d', 'sigmoid', 'tanh', 'relu', 'selu']])
        print(nn.init.calculate_gain('leaky_relu', 0.2), nn.init.calculate_gain('leaky_relu'))
        for name, p in model.named_parameters():
            print(f'{name:14s} {str(tuple(p.shape)):14s} mean {p.mean().item():+.4f} std {p.std().item() if p.numel() > 1 else 0:.4f}')
        w = model.proj.weight
        print('orthogonal:', torch.allclose(w.t() @ w, torch.eye(3) * (5 / 3) ** 2, atol=1e-5))
        print('trunc in bounds:', bool(((model.emb.weight >= -0.04) & (model.emb.weight <= 0.04)).all()))
        # the other initialisers as timm / torchvision call them
        t = torch.empty(4, 6)
        for fn, kw in [(nn.init.kaiming_uniform_, dict(a=math.sqrt(5))), (nn.init.xavier_normal_, {}),
                       (nn.init.trunc_normal_, dict(std=.02)), (nn.init.normal_, dict(mean=0, std=0.01)),
                       (nn.init.uniform_, dict(a=-0.1, b=0.1)), (nn.init.kaiming_normal_, dict(mode='fan_in', nonlinearity='leaky_relu')),
                       (nn.init.orthogonal_, {}), (nn.init.sparse_, dict(sparsity=0.5)), (nn.init.eye_, {}), (nn.init.zeros_, {})]:
            out = fn(t, **kw)
            print(fn.__name__, out is t, f'{t.sum().item():.5f}')
        print(nn.init._calculate_fan_in_and_fan_out(torch.empty(8, 4, 3, 3)))
        for bad in [lambda: nn.init.xavier_uniform_(torch.empty(3)), lambda: nn.init.calculate_gain('foo'),
                    lambda: nn.init.kaiming_normal_(torch.empty(2, 2), mode='fan'), lambda: nn.init.orthogonal_(torch.empty(3))]:
            try:
                bad()
            except Exception as e:
                print(type(e).__name__, e)

        # the learning-rate range test (fastai / torch-lr-finder style, exponential schedule, smoothed loss)
        x, y = torch.randn(16, 3, 8, 8), torch.randint(0, 5, (16,))
        state = copy.deepcopy(model.state_dict())
        optimizer = optim.SGD(model.parameters(), lr=1e-7, momentum=0.9)


        class ExponentialLRRange(_LRScheduler):
            def __init__(self, optimizer, end_lr, num_iter, last_epoch=-1):
                self.end_lr = end_lr
                self.num_iter = num_iter
                super(ExponentialLRRange, self).__init__(optimizer, last_epoch)

            def get_lr(self):
                r = self.last_epoch / (self.num_iter - 1)
                return [base_lr * (self.end_lr / base_lr) ** r for base_lr in self.base_lrs]


        num_iter, beta = 8, 0.98
        scheduler = ExponentialLRRange(optimizer, end_lr=10, num_iter=num_iter)
        history = {'lr': [], 'loss': []}
        avg_loss, best_loss = 0., float('inf')
        for iteration in range(num_iter):
            idx = torch.arange(iteration * 2, iteration * 2 + 2) % 16
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            history['lr'].append(scheduler.get_last_lr()[0])
            scheduler.step()
            avg_loss = beta * avg_loss + (1 - beta) * loss.item()
            smoothed = avg_loss / (1 - beta ** (iteration + 1))
            history['loss'].append(smoothed)
            if smoothed < best_loss:
                best_loss = smoothed
            if smoothed > 4 * best_loss or math.isnan(smoothed):
                print('Stopping early, the loss has diverged')
                break
        print(['%.3g' % lr for lr in history['lr']])
        print(['%.4f' % l for l in history['loss']])
        model.load_state_dict(state)
        print('restored', torch.equal(model.conv1.weight, state['conv1.weight']))
        # fastai's lr_find with LambdaLR, and the suggestion at the steepest descent
        opt = optim.Adam(model.parameters(), lr=1.0)
        lrs = LambdaLR(opt, lambda it: 1e-6 * (1e-1 / 1e-6) ** (it / 5))
        print([f'{g["lr"]:.3g}' for g in opt.param_groups], lrs.get_last_lr())
        for _ in range(5):
            opt.step()
            lrs.step()
        print([f'{v:.3g}' for v in lrs.get_last_lr()])
        import numpy as np
        losses = np.array([2.3, 2.2, 1.9, 1.4, 1.6, 3.0])
        print('suggested lr index', np.gradient(losses).argmin())

        # gradient clipping by norm and by value, and their return values
        model.load_state_dict(state)
        opt = optim.SGD(model.parameters(), lr=0.1)
        for step in range(2):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y) * 50
            loss.backward()
            total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            clipped = torch.sqrt(sum(p.grad.pow(2).sum() for p in model.parameters() if p.grad is not None))
            print(f'step {step} grad norm {total_norm.item():.4f} -> {clipped.item():.4f}', total_norm.dtype, total_norm.shape)
            opt.step()
        opt.zero_grad()
        (F.cross_entropy(model(x), y) * 50).backward()
        print(torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.05))
        print(max(p.grad.abs().max().item() for p in model.parameters() if p.grad is not None))
        n = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5, norm_type='inf')
        print(f'{n.item():.5f}', max(p.grad.abs().max().item() for p in model.parameters() if p.grad is not None) <= 0.5)
        n1 = torch.nn.utils.clip_grad_norm_(model.fc.weight, 1.0, norm_type=1)
        print(f'{n1.item():.4f}', f'{model.fc.weight.grad.abs().sum().item():.4f}')
        print(torch.nn.utils.get_total_norm([p.grad for p in model.parameters() if p.grad is not None]).item() > 0)
        for p in model.parameters():
            p.register_hook(lambda grad: torch.clamp(grad, -0.01, 0.01))
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        print(f'{model.fc.weight.grad.abs().max().item():.4f}')
        try:
            model.fc.weight.grad[0, 0] = float('nan')
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0, error_if_nonfinite=True)
        except RuntimeError as e:
            print(e)
        torch.save({'fc': model.fc.weight, 'conv': model.conv2.weight, 'emb': model.emb.weight}, 'results.pt')
        ''')


def test_se_cbam_depthwise_separable_inverted_residual_and_batch_norm_modes(tmp_path, monkeypatch):
    """SE and CBAM attention, MobileNet's depthwise separable and inverted residual blocks, residual blocks;
    batch norm in train and eval modes, with momentum=None, without running statistics, and frozen."""
    same_program(tmp_path, monkeypatch, r'''
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        torch.manual_seed(21)


        class SELayer(nn.Module):
            def __init__(self, channel, reduction=4):
                super(SELayer, self).__init__()
                self.avg_pool = nn.AdaptiveAvgPool2d(1)
                self.fc = nn.Sequential(
                    nn.Linear(channel, channel // reduction, bias=False),
                    nn.ReLU(inplace=True),
                    nn.Linear(channel // reduction, channel, bias=False),
                    nn.Sigmoid()
                )

            def forward(self, x):
                b, c, _, _ = x.size()
                y = self.avg_pool(x).view(b, c)
                y = self.fc(y).view(b, c, 1, 1)
                return x * y.expand_as(x)


        class ChannelAttention(nn.Module):
            def __init__(self, in_planes, ratio=4):
                super(ChannelAttention, self).__init__()
                self.avg_pool = nn.AdaptiveAvgPool2d(1)
                self.max_pool = nn.AdaptiveMaxPool2d(1)
                self.fc = nn.Sequential(nn.Conv2d(in_planes, in_planes // ratio, 1, bias=False),
                                        nn.ReLU(),
                                        nn.Conv2d(in_planes // ratio, in_planes, 1, bias=False))
                self.sigmoid = nn.Sigmoid()

            def forward(self, x):
                avg_out = self.fc(self.avg_pool(x))
                max_out = self.fc(self.max_pool(x))
                out = avg_out + max_out
                return self.sigmoid(out)


        class SpatialAttention(nn.Module):
            def __init__(self, kernel_size=7):
                super(SpatialAttention, self).__init__()
                self.conv1 = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=False)
                self.sigmoid = nn.Sigmoid()

            def forward(self, x):
                avg_out = torch.mean(x, dim=1, keepdim=True)
                max_out, _ = torch.max(x, dim=1, keepdim=True)
                x = torch.cat([avg_out, max_out], dim=1)
                x = self.conv1(x)
                return self.sigmoid(x)


        class CBAM(nn.Module):
            def __init__(self, planes):
                super().__init__()
                self.ca = ChannelAttention(planes)
                self.sa = SpatialAttention()

            def forward(self, x):
                x = self.ca(x) * x
                return self.sa(x) * x


        class DepthwiseSeparableConv(nn.Module):
            def __init__(self, in_ch, out_ch, stride=1):
                super().__init__()
                self.depthwise = nn.Conv2d(in_ch, in_ch, kernel_size=3, stride=stride, padding=1, groups=in_ch, bias=False)
                self.bn1 = nn.BatchNorm2d(in_ch)
                self.pointwise = nn.Conv2d(in_ch, out_ch, kernel_size=1, bias=False)
                self.bn2 = nn.BatchNorm2d(out_ch)

            def forward(self, x):
                x = F.relu6(self.bn1(self.depthwise(x)))
                return F.relu6(self.bn2(self.pointwise(x)))


        class InvertedResidual(nn.Module):
            def __init__(self, inp, oup, stride, expand_ratio):
                super(InvertedResidual, self).__init__()
                hidden_dim = round(inp * expand_ratio)
                self.use_res_connect = stride == 1 and inp == oup
                self.conv = nn.Sequential(
                    nn.Conv2d(inp, hidden_dim, 1, 1, 0, bias=False), nn.BatchNorm2d(hidden_dim), nn.ReLU6(inplace=True),
                    nn.Conv2d(hidden_dim, hidden_dim, 3, stride, 1, groups=hidden_dim, bias=False),
                    nn.BatchNorm2d(hidden_dim), nn.ReLU6(inplace=True),
                    nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup),
                )

            def forward(self, x):
                if self.use_res_connect:
                    return x + self.conv(x)
                return self.conv(x)


        class BasicBlock(nn.Module):
            expansion = 1

            def __init__(self, in_planes, planes, stride=1, attention=None):
                super(BasicBlock, self).__init__()
                self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
                self.bn1 = nn.BatchNorm2d(planes)
                self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
                self.bn2 = nn.BatchNorm2d(planes)
                self.attention = attention(planes) if attention else nn.Identity()
                self.shortcut = nn.Sequential()
                if stride != 1 or in_planes != self.expansion * planes:
                    self.shortcut = nn.Sequential(
                        nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                        nn.BatchNorm2d(self.expansion * planes))

            def forward(self, x):
                out = F.relu(self.bn1(self.conv1(x)))
                out = self.attention(self.bn2(self.conv2(out)))
                out += self.shortcut(x)
                out = F.relu(out)
                return out


        class Net(nn.Module):
            def __init__(self, num_classes=3):
                super().__init__()
                self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU6(inplace=True))
                self.blocks = nn.Sequential(
                    DepthwiseSeparableConv(8, 16), InvertedResidual(16, 16, 1, 2), InvertedResidual(16, 24, 2, 6),
                    BasicBlock(24, 24, attention=SELayer), BasicBlock(24, 32, stride=2, attention=CBAM))
                self.pool = nn.AdaptiveAvgPool2d((1, 1))
                self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(32, num_classes))

            def forward(self, x):
                x = self.blocks(self.stem(x))
                return self.classifier(torch.flatten(self.pool(x), 1))


        model = Net()
        print(model.blocks[4])
        print(sum(p.numel() for p in model.parameters()), sum(b.numel() for b in model.buffers()))
        dw = model.blocks[0].depthwise
        print(dw.weight.shape, dw.groups, dw)
        x = torch.randn(4, 3, 16, 16)
        y = torch.tensor([0, 2, 1, 2])
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
        for step in range(3):
            model.train()
            out = model(x)
            loss = F.cross_entropy(out, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            print(step, f'{loss.item():.5f}')
        bn = model.blocks[3].bn2
        print(bn.num_batches_tracked.item(), f'{bn.running_mean.abs().sum().item():.5f}', f'{bn.running_var.mean().item():.5f}')
        model.eval()
        with torch.no_grad():
            eval_out = model(x)
            train_mode_out = model.train()(x)
        model.eval()
        print(f'{(eval_out - train_mode_out).abs().max().item():.4f}', bn.num_batches_tracked.item())
        # BatchNorm with a batch of one in train mode, momentum=None (cumulative average), track_running_stats=False
        try:
            model.train()(x[:1, :, :2, :2])
        except ValueError as e:
            print(e)
        cma = nn.BatchNorm2d(3, momentum=None)
        for i in range(3):
            cma(x + i)
        print(cma.num_batches_tracked.item(), [round(v, 5) for v in cma.running_mean.tolist()])
        nostats = nn.BatchNorm2d(3, track_running_stats=False).eval()
        print(nostats.running_mean, f'{nostats(x).mean().item():.6f}')
        # freeze BN as fine-tuning recipes do
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
                m.weight.requires_grad_(False)
                m.bias.requires_grad_(False)
        print(sum(p.requires_grad for p in model.parameters()), model.training, bn.training)
        se = model.blocks[3].attention
        feats = model.blocks[:3](model.stem(x))
        att = se.fc(se.avg_pool(feats).view(4, -1))
        print(att.shape, f'{att.min().item():.4f}', f'{att.max().item():.4f}')
        sa = model.blocks[4].attention.sa
        print(sa(torch.randn(2, 32, 5, 5)).shape)
        torch.save({'out': eval_out, 'rv': bn.running_var, 'dw': dw.weight, 'sa': sa.conv1.weight,
                    'g': model.blocks[4].attention.ca.fc[0].weight.grad}, 'results.pt')
        ''')


def test_label_smoothing_focal_losses_confusion_matrix_and_top_k(tmp_path, monkeypatch):
    """Label smoothing (built in, timm's, by scatter_), focal losses (by hand, by gather, torchvision's
    sigmoid_focal_loss), confusion matrices by bincount, index_put_ and loops, per-class accuracy, F1, top-k."""
    same_program(tmp_path, monkeypatch, r'''
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import numpy as np

        torch.manual_seed(8)
        num_classes = 4
        logits = torch.randn(12, num_classes, requires_grad=True)
        target = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3, 0, 0, 1, 3])

        # label smoothing: the built-in, and the classic hand-written versions
        for eps in [0.0, 0.1, 0.3]:
            print(eps, f'{nn.CrossEntropyLoss(label_smoothing=eps)(logits, target).item():.6f}')


        class LabelSmoothingCrossEntropy(nn.Module):
            """timm's."""
            def __init__(self, smoothing=0.1):
                super(LabelSmoothingCrossEntropy, self).__init__()
                assert smoothing < 1.0
                self.smoothing = smoothing
                self.confidence = 1. - smoothing

            def forward(self, x, target):
                logprobs = F.log_softmax(x, dim=-1)
                nll_loss = -logprobs.gather(dim=-1, index=target.unsqueeze(1))
                nll_loss = nll_loss.squeeze(1)
                smooth_loss = -logprobs.mean(dim=-1)
                loss = self.confidence * nll_loss + self.smoothing * smooth_loss
                return loss.mean()


        class LabelSmoothingLoss(nn.Module):
            def __init__(self, classes, smoothing=0.0, dim=-1):
                super(LabelSmoothingLoss, self).__init__()
                self.confidence = 1.0 - smoothing
                self.smoothing = smoothing
                self.cls = classes
                self.dim = dim

            def forward(self, pred, target):
                pred = pred.log_softmax(dim=self.dim)
                with torch.no_grad():
                    true_dist = torch.zeros_like(pred)
                    true_dist.fill_(self.smoothing / (self.cls - 1))
                    true_dist.scatter_(1, target.data.unsqueeze(1), self.confidence)
                return torch.mean(torch.sum(-true_dist * pred, dim=self.dim))


        print(f'{LabelSmoothingCrossEntropy(0.1)(logits, target).item():.6f}',
              f'{LabelSmoothingLoss(num_classes, 0.1)(logits, target).item():.6f}')
        w = torch.tensor([1.0, 2.0, 0.5, 1.0])
        for kw in [dict(weight=w, label_smoothing=0.2), dict(ignore_index=0, label_smoothing=0.1),
                   dict(reduction='sum', label_smoothing=0.05), dict(reduction='none', label_smoothing=0.1, weight=w)]:
            v = F.cross_entropy(logits, target, **kw)
            print({k: v for k, v in kw.items() if k != 'weight'}, [round(t, 5) for t in v.detach().reshape(-1).tolist()][:4])
        soft = F.one_hot(target, num_classes).float() * 0.9 + 0.1 / num_classes
        print(f'{F.cross_entropy(logits, soft).item():.6f}', f'{F.cross_entropy(logits, soft, label_smoothing=0.1).item():.6f}')


        class FocalLoss(nn.Module):
            def __init__(self, alpha=None, gamma=2, reduction='mean'):
                super(FocalLoss, self).__init__()
                self.alpha = alpha
                self.gamma = gamma
                self.reduction = reduction

            def forward(self, inputs, targets):
                ce_loss = F.cross_entropy(inputs, targets, reduction='none', weight=self.alpha)
                pt = torch.exp(-ce_loss)
                focal_loss = ((1 - pt) ** self.gamma * ce_loss)
                if self.reduction == 'mean':
                    return focal_loss.mean()
                elif self.reduction == 'sum':
                    return focal_loss.sum()
                return focal_loss


        def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2, reduction="none"):
            """torchvision.ops.sigmoid_focal_loss's source."""
            p = torch.sigmoid(inputs)
            ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
            p_t = p * targets + (1 - p) * (1 - targets)
            loss = ce_loss * ((1 - p_t) ** gamma)
            if alpha >= 0:
                alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
                loss = alpha_t * loss
            if reduction == "mean":
                loss = loss.mean()
            elif reduction == "sum":
                loss = loss.sum()
            return loss


        fl = FocalLoss(gamma=2)(logits, target)
        fl.backward()
        print(f'{fl.item():.6f}', f'{logits.grad.abs().sum().item():.6f}')
        logits.grad = None
        # the gather flavour
        logpt = F.log_softmax(logits, dim=1).gather(1, target.view(-1, 1)).view(-1)
        pt = logpt.exp()
        at = torch.tensor([0.25, 0.75, 0.5, 0.5]).gather(0, target)
        print(f'{(-1 * at * (1 - pt) ** 2 * logpt).mean().item():.6f}')
        binary_targets = F.one_hot(target, num_classes).float()
        sfl = sigmoid_focal_loss(logits, binary_targets, reduction='mean')
        sfl.backward()
        print(f'{sfl.item():.6f}', f'{logits.grad.norm().item():.6f}')

        # accuracy, per-class accuracy, confusion matrix with bincount, precision/recall/F1, top-k
        preds = logits.argmax(dim=1)
        print('acc', (preds == target).float().mean().item(), (preds == target).sum().item())
        cm = torch.bincount(target * num_classes + preds, minlength=num_classes ** 2).reshape(num_classes, num_classes)
        print(cm)
        cm2 = torch.zeros(num_classes, num_classes, dtype=torch.int64)
        for t, p in zip(target.view(-1), preds.view(-1)):
            cm2[t.long(), p.long()] += 1
        print(torch.equal(cm, cm2))
        cm3 = torch.zeros(num_classes, num_classes)
        cm3.index_put_((target, preds), torch.ones(12), accumulate=True)
        print(cm3.long().equal(cm))
        per_class = cm.diag() / cm.sum(1)
        print(per_class)
        tp = cm.diag().float()
        precision = tp / cm.sum(0).clamp(min=1)
        recall = tp / cm.sum(1).clamp(min=1)
        f1 = 2 * precision * recall / (precision + recall + 1e-8)
        print(precision, recall, f1.mean())
        classes = ('cat', 'dog', 'bird', 'fish')
        correct_pred = {classname: 0 for classname in classes}
        total_pred = {classname: 0 for classname in classes}
        for label, prediction in zip(target, preds):
            if label == prediction:
                correct_pred[classes[label]] += 1
            total_pred[classes[label]] += 1
        for classname, correct_count in correct_pred.items():
            accuracy = 100 * float(correct_count) / total_pred[classname]
            print(f'Accuracy for class: {classname:5s} is {accuracy:.1f} %')
        print(np.bincount(target.numpy(), weights=(preds == target).numpy().astype(float)))
        print(torch.bincount(target, weights=torch.linspace(0, 1, 12)), torch.bincount(torch.tensor([], dtype=torch.long)))
        print(target.unique(return_counts=True), torch.histc(logits.detach(), bins=4, min=-2, max=2))


        def accuracy(output, target, topk=(1,)):
            """Computes the accuracy over the k top predictions for the specified values of k"""
            with torch.no_grad():
                maxk = max(topk)
                batch_size = target.size(0)
                _, pred = output.topk(maxk, 1, True, True)
                pred = pred.t()
                correct = pred.eq(target.view(1, -1).expand_as(pred))
                res = []
                for k in topk:
                    correct_k = correct[:k].reshape(-1).float().sum(0, keepdim=True)
                    res.append(correct_k.mul_(100.0 / batch_size))
                return res


        print(accuracy(logits, target, topk=(1, 2, 3)))
        top2 = torch.topk(logits, 2, dim=1).indices
        print((top2 == target.unsqueeze(1)).any(dim=1).float().mean())
        print(torch.topk(logits, 3, largest=False, sorted=True).values.shape, logits.topk(1)[1].squeeze(1).equal(preds))
        try:
            logits.topk(5)
        except RuntimeError as e:
            print(e)
        torch.save({'cm': cm, 'f1': f1, 'grad': logits.grad}, 'results.pt')
        ''')


def test_checkpoint_model_optimizer_scheduler_and_rng_states_resumes_bit_for_bit(tmp_path, monkeypatch):
    """Training resumed from a checkpoint (model, optimizer, scheduler, every RNG state and the loader's generator)
    retraces the uninterrupted run bit for bit, for three optimizer/scheduler pairs; ReduceLROnPlateau's state,
    BytesIO, strict loading and whole-model pickles. (The conv before batch norm has no bias: Adam would turn the
    rounding noise of its zero gradient into steps of lr.)"""
    same_program(tmp_path, monkeypatch, r'''
        import io
        import os
        import random
        import numpy as np
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.optim.lr_scheduler import StepLR, OneCycleLR, ReduceLROnPlateau, CosineAnnealingWarmRestarts
        from torch.utils.data import DataLoader, TensorDataset


        def seed_everything(seed):
            random.seed(seed)
            np.random.seed(seed)
            torch.manual_seed(seed)
            torch.backends.cudnn.deterministic = True
            torch.backends.cudnn.benchmark = False


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(1, 4, 3, bias=False)  # (a bias before batch norm only learns rounding noise)
                self.bn = nn.BatchNorm2d(4)
                self.drop = nn.Dropout(0.3)
                self.fc = nn.Linear(4 * 6 * 6, 3)

            def forward(self, x):
                return self.fc(self.drop(F.relu(self.bn(self.conv(x)))).flatten(1))


        seed_everything(0)
        data = TensorDataset(torch.randn(16, 1, 8, 8), torch.randint(0, 3, (16,)))


        def make(kind):
            model = Net()
            if kind == 'adamw':
                optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.05, amsgrad=True)
                scheduler = OneCycleLR(optimizer, max_lr=0.05, total_steps=8)
            elif kind == 'sgd':
                optimizer = torch.optim.SGD([{'params': model.conv.parameters(), 'lr': 0.05},
                                             {'params': model.fc.parameters()}], lr=0.1, momentum=0.9, nesterov=True)
                scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
            else:
                optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-2, momentum=0.5, centered=True)
                scheduler = CosineAnnealingWarmRestarts(optimizer, T_0=2, T_mult=2, eta_min=1e-4)
            return model, optimizer, scheduler


        def train(model, optimizer, scheduler, epochs, generator):
            losses = []
            loader = DataLoader(data, batch_size=8, shuffle=True, generator=generator)
            for epoch in epochs:
                model.train()
                for x, y in loader:
                    optimizer.zero_grad()
                    loss = F.cross_entropy(model(x), y)
                    loss.backward()
                    optimizer.step()
                    scheduler.step()
                    losses.append(loss.item())
            return losses


        for kind in ['adamw', 'sgd', 'rmsprop']:
            seed_everything(1)
            g = torch.Generator().manual_seed(2)
            model, optimizer, scheduler = make(kind)
            straight = train(model, optimizer, scheduler, range(4), g)
            final = {k: v.clone() for k, v in model.state_dict().items()}

            seed_everything(1)
            g = torch.Generator().manual_seed(2)
            model, optimizer, scheduler = make(kind)
            first = train(model, optimizer, scheduler, range(2), g)
            checkpoint = {
                'epoch': 2,
                'model_state_dict': model.state_dict(),
                'optimizer_state_dict': optimizer.state_dict(),
                'scheduler_state_dict': scheduler.state_dict(),
                'loss': first[-1],
                'rng_state': torch.get_rng_state(),
                'generator_state': g.get_state(),
                'numpy_rng_state': np.random.get_state(),
                'python_rng_state': random.getstate(),
            }
            torch.save(checkpoint, f'checkpoint_{kind}.pth')
            del model, optimizer, scheduler

            model, optimizer, scheduler = make(kind)
            checkpoint = torch.load(f'checkpoint_{kind}.pth', weights_only=False)
            model.load_state_dict(checkpoint['model_state_dict'])
            optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
            scheduler.load_state_dict(checkpoint['scheduler_state_dict'])
            start_epoch = checkpoint['epoch']
            torch.set_rng_state(checkpoint['rng_state'])
            g = torch.Generator()
            g.set_state(checkpoint['generator_state'])
            np.random.set_state(checkpoint['numpy_rng_state'])
            random.setstate(checkpoint['python_rng_state'])
            resumed = first + train(model, optimizer, scheduler, range(start_epoch, 4), g)
            print(kind, 'losses equal:', resumed == straight, [f'{l:.5f}' for l in resumed])
            print(kind, 'weights equal:', all(torch.equal(final[k], v) for k, v in model.state_dict().items()))
            print(kind, 'lr', [f'{lr:.6g}' for lr in scheduler.get_last_lr()], scheduler.last_epoch,
                  sorted(checkpoint['scheduler_state_dict']))
            sd = checkpoint['optimizer_state_dict']
            print(kind, sorted(sd), sorted(sd['state'][0]), [sorted(k for k in g if k != 'params') for g in sd['param_groups']])
            print(kind, [g['params'] for g in sd['param_groups']], type(sd['state'][0].get('step')).__name__)

        # ReduceLROnPlateau's state, and a checkpoint in memory through BytesIO
        model, optimizer, _ = make('sgd')
        plateau = ReduceLROnPlateau(optimizer, mode='min', factor=0.5, patience=0)
        for val_loss in [1.0, 1.1, 1.2, 0.5]:
            plateau.step(val_loss)
        print([g['lr'] for g in optimizer.param_groups], plateau.num_bad_epochs, plateau.best)
        buffer = io.BytesIO()
        torch.save({'plateau': plateau.state_dict(), 'model': model.state_dict()}, buffer)
        buffer.seek(0)
        loaded = torch.load(buffer, weights_only=True)
        print(sorted(loaded['plateau']))
        plateau2 = ReduceLROnPlateau(optimizer)
        plateau2.load_state_dict(loaded['plateau'])
        print(plateau2.best, plateau2.patience, plateau2.factor)
        print(list(loaded['model'].keys()))
        print(loaded['model']['bn.num_batches_tracked'].dtype, loaded['model']['bn.num_batches_tracked'])
        # best-model saving with copy.deepcopy, and strict=False loading into a changed head
        import copy
        best_model_wts = copy.deepcopy(model.state_dict())
        model.fc = nn.Linear(144, 5)
        for strict in [True, False]:
            try:
                model.load_state_dict(best_model_wts, strict=strict)
            except RuntimeError as e:
                print(str(e).splitlines()[:2])
        filtered = {k: v for k, v in best_model_wts.items() if not k.startswith('fc.')}
        print(model.load_state_dict(filtered, strict=False))
        torch.save(model, 'whole.pt')
        whole = torch.load('whole.pt', weights_only=False)
        print(type(whole).__name__, whole.fc)
        try:
            torch.load('whole.pt')
        except Exception as e:
            print(type(e).__name__, str(e).splitlines()[0])
        os.remove('whole.pt')
        torch.save({'final': final['fc.weight'], 'rm': final['bn.running_mean']}, 'results.pt')
        ''')


def test_jit_trace_and_script_of_a_small_cnn(tmp_path, monkeypatch):
    """Tracing runs forward as PyTorch's tracer does: once to trace, then once more traced and once plainly for
    each check input (is_tracing() true while tracing); trace_module, example_kwarg_inputs, a bound forward,
    scripting, freezing, saving and loading, and the check's TracerWarning for a model left in training mode."""
    same_program(tmp_path, monkeypatch, r'''
        import warnings
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        torch.manual_seed(0)


        class SmallCNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
                self.bn = nn.BatchNorm2d(4)
                self.fc = nn.Linear(4 * 4 * 4, 3)

            def forward(self, x):
                if torch.jit.is_tracing():
                    print('tracing')
                x = F.max_pool2d(F.relu(self.bn(self.conv1(x))), 2)
                return self.fc(torch.flatten(x, 1))


        model = SmallCNN().eval()
        x = torch.randn(2, 1, 8, 8)
        with torch.no_grad():
            ref = model(x)

        traced = torch.jit.trace(model, x)
        print(type(traced).__name__, isinstance(traced, torch.jit.ScriptModule), isinstance(traced, nn.Module))
        print(torch.allclose(traced(x), ref), traced(torch.randn(5, 1, 8, 8)).shape)
        print(traced.training, [n for n, _ in traced.named_parameters()])
        print(list(traced.state_dict()) == list(model.state_dict()), traced.conv1.weight is model.conv1.weight)
        traced.save('traced.pt')
        loaded = torch.jit.load('traced.pt')
        print(type(loaded).__name__, torch.allclose(loaded(x), ref), loaded.training)
        traced_once = torch.jit.trace(model, x, check_trace=False)
        checked = torch.jit.trace(model, (x,), check_inputs=[(x[:1],), torch.randn(3, 1, 8, 8)])
        by_name = torch.jit.trace(model, example_kwarg_inputs={'x': x})
        print(torch.allclose(by_name(x), ref), torch.allclose(torch.jit.trace(model.forward, [x])(x), ref))
        module = torch.jit.trace_module(model, {'forward': x})
        print(type(module).__name__, torch.allclose(module(x), ref))

        scripted = torch.jit.script(model)
        print(type(scripted).__name__, torch.allclose(scripted(x), ref))
        torch.jit.save(scripted, 'scripted.pt')
        print(torch.allclose(torch.jit.load('scripted.pt')(x), ref))
        frozen = torch.jit.freeze(torch.jit.script(SmallCNN().eval()))
        print(type(frozen).__name__, frozen(x).shape)
        opt = torch.jit.optimize_for_inference(torch.jit.script(SmallCNN().eval()))
        print(type(opt).__name__, opt(x).shape)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            again = torch.jit.trace(traced, x)
        print(again is traced, [str(w.message) for w in caught if w.category is UserWarning])


        @torch.jit.script
        def fused_gelu(x):
            return x * 0.5 * (1.0 + torch.erf(x / 1.41421))


        print(type(fused_gelu).__name__, fused_gelu(torch.ones(2)))
        traced_fn = torch.jit.trace(lambda a, b: a * b + 1, (torch.ones(2), torch.ones(2)))
        print(type(traced_fn).__name__, traced_fn(torch.full((2,), 2.0), torch.full((2,), 3.0)))

        # a model left in training mode: dropout makes the check's runs differ
        train_model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)).train()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            torch.jit.trace(train_model, torch.ones(3, 4))
        print(sorted({w.category.__name__ for w in caught}))
        print([str(w.message).splitlines()[0] for w in caught if w.category is torch.jit.TracerWarning][-1:])
        print(torch.jit.is_tracing(), torch.jit.is_scripting())
        torch.save({'ref': ref, 'traced': traced(x).detach()}, 'results.pt')
        ''')


def test_onnx_export_at_the_end_of_a_script(tmp_path, monkeypatch):
    """``torch.onnx.export`` as deployment scripts call it, by both exporters, where their packages (onnxscript,
    onnx) are not installed: the legacy exporter first traces the model once in eval mode, with
    ``is_in_onnx_export()`` true. (PyTorch also gives the traced forward its Python-number arguments as tensors and
    warns TracerWarnings of its own graph; neither is compared.)"""
    if any(importlib.util.find_spec(name) for name in ("onnx", "onnxscript")):
        pytest.skip("PyTorch exports with the packages installed; torchless refuses")
    same_program(tmp_path, monkeypatch, r'''
        import os
        import warnings
        import torch
        import torch.nn as nn


        class P(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 2)
                self.drop = nn.Dropout(0.5)

            def forward(self, x, scale=1.0):
                print('forward ran', torch.onnx.is_in_onnx_export(), torch.jit.is_tracing(), torch.is_grad_enabled(), self.training)
                return self.drop(self.fc(x)) * scale


        p = P()
        print(torch.onnx.is_in_onnx_export(), issubclass(torch.onnx.OnnxExporterError, RuntimeError))
        for kwargs in [dict(dynamo=False), dict(dynamo=False, input_names=['input'], output_names=['output'],
                                                dynamic_axes={'input': {0: 'batch_size'}, 'output': {0: 'batch_size'}},
                                                opset_version=11, export_params=True, do_constant_folding=True),
                       {}, dict(dynamo=True)]:
            for args in [(torch.ones(1, 2),), torch.ones(1, 2), (torch.ones(1, 2), {'scale': 2.0})]:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter('always')
                    try:
                        torch.onnx.export(p, args, 'model.onnx', **kwargs)
                    except Exception as e:
                        print(type(e).__name__, e)
                print('DeprecationWarning' in {w.category.__name__ for w in caught}, p.training, os.path.exists('model.onnx'))
        try:
            torch.onnx.export(p, (torch.ones(1, 2),), 'model.onnx', dynamo=False, dynamic_shapes={'x': {0: 'b'}})
        except Exception as e:
            print(type(e).__name__, e)
        ''')


def test_torch_hub_load_from_a_local_hubconf(tmp_path, monkeypatch):
    """``torch.hub.load(dir, entry, source='local')`` runs the directory's hubconf.py (which imports its own
    modules) with the entry's arguments, refusing missing entries, dependencies and sources as PyTorch does."""
    same_program(tmp_path, monkeypatch, r'''
        import os
        import textwrap
        import torch

        os.makedirs('myrepo', exist_ok=True)
        with open('myrepo/hubconf.py', 'w') as f:
            f.write(textwrap.dedent("""
                dependencies = ['torch']
                import torch
                import torch.nn as nn
                from mymodels import TinyNet


                def tiny(pretrained=False, num_classes=3, **kwargs):
                    'A tiny CNN; pretrained weights are a fixed seed here.'
                    if pretrained:
                        torch.manual_seed(0)
                    return TinyNet(num_classes, **kwargs)


                def _private():
                    return None


                needs_missing = None
                """))
        with open('myrepo/mymodels.py', 'w') as f:
            f.write(textwrap.dedent("""
                import torch.nn as nn


                class TinyNet(nn.Module):
                    def __init__(self, num_classes, width=4):
                        super().__init__()
                        self.features = nn.Sequential(nn.Conv2d(3, width, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
                        self.fc = nn.Linear(width, num_classes)

                    def forward(self, x):
                        return self.fc(self.features(x).flatten(1))
                """))
        with open('badrepo_hubconf.py', 'w') as f:
            f.write("dependencies = ['no_such_package_xyz', 'torch', 'another_missing_one']\ndef m():\n    return 1\n")
        os.makedirs('badrepo', exist_ok=True)
        os.replace('badrepo_hubconf.py', 'badrepo/hubconf.py')

        model = torch.hub.load('myrepo', 'tiny', source='local', pretrained=True, width=5)
        print(model)
        print(type(model).__module__, sum(p.numel() for p in model.parameters()))
        print(model(torch.ones(2, 3, 6, 6)).shape, f'{model.fc.weight.sum().item():.5f}')
        m2 = torch.hub.load('./myrepo', 'tiny', 7, source='LOCAL')
        print(m2.fc.out_features)
        for args, kwargs in [(('myrepo', 'nope'), dict(source='local')), (('myrepo', '_private'), dict(source='local')),
                             (('myrepo', 'needs_missing'), dict(source='local')), (('myrepo', 3), dict(source='local')),
                             (('badrepo', 'm'), dict(source='local')), (('myrepo', 'tiny'), dict(source='gitlab'))]:
            try:
                torch.hub.load(*args, **kwargs)
            except Exception as e:
                print(type(e).__name__, str(e).split(' (')[0])
        print('myrepo' in ' '.join(__import__('sys').path))
        ''')



class _Returning:
    """A module class whose forward returns ``make(x)``, built for either library."""

    def __new__(cls, lib, make):
        class Returning(lib.nn.Module):
            def forward(self, x):
                return make(x)

        return Returning()


TRACE_CALLS = {
    "list output": lambda lib, x: lib.jit.trace(_Returning(lib, lambda x: [x, x * 2]), x),
    "list output, not strict": lambda lib, x: lib.jit.trace(_Returning(lib, lambda x: [x]), x, strict=False),
    "dict output": lambda lib, x: lib.jit.trace(_Returning(lib, lambda x: {"a": x}), x),
    "dict output, not strict": lambda lib, x: lib.jit.trace(_Returning(lib, lambda x: {"a": x}), x, strict=False),
    "nested tuple output": lambda lib, x: lib.jit.trace(_Returning(lib, lambda x: (x, (x, x))), x),
    "None output": lambda lib, x: lib.jit.trace(_Returning(lib, lambda x: None), x),
    "None in a tuple": lambda lib, x: lib.jit.trace(_Returning(lib, lambda x: (x, None)), x),
    "number output": lambda lib, x: lib.jit.trace(_Returning(lib, lambda x: 3), x),
    "function returning None": lambda lib, x: lib.jit.trace(lambda x: None, x),
    "function returning a list": lambda lib, x: lib.jit.trace(lambda x: (x, [x]), x),
    "no example inputs": lambda lib, x: lib.jit.trace(lib.nn.ReLU()),
    "kwarg inputs not a dict": lambda lib, x: lib.jit.trace(lib.nn.ReLU(), example_kwarg_inputs=[x]),
    "kwarg inputs": lambda lib, x: lib.jit.trace(lib.nn.ReLU(), example_kwarg_inputs={"input": x}),
    "kwarg inputs of another name": lambda lib, x: lib.jit.trace(lib.nn.ReLU(), example_kwarg_inputs={"y": x}),
    "a number as inputs": lambda lib, x: lib.jit.trace(lib.nn.ReLU(), 3),
    "a list of inputs": lambda lib, x: lib.jit.trace(lib.nn.ReLU(), [x]),
    "bound forward": lambda lib, x: lib.jit.trace(lib.nn.ReLU().forward, x),
    "bound method": lambda lib, x: lib.jit.trace(lib.nn.ReLU().extra_repr, x),
    "wrong shape": lambda lib, x: lib.jit.trace(lib.nn.Linear(2, 2), x),
    "dropout in training mode": lambda lib, x: lib.jit.trace(lib.nn.Dropout(0.5), lib.ones(4, 4)),
    "dropout in eval mode": lambda lib, x: lib.jit.trace(lib.nn.Dropout(0.5).eval(), lib.ones(4, 4)),
    "function drawing random numbers": lambda lib, x: lib.jit.trace(lambda x: x * lib.rand(3), x),
    "check inputs": lambda lib, x: lib.jit.trace(lib.nn.ReLU(), x, check_inputs=[lib.ones(2), (lib.zeros(1),)]),
    "trace_module": lambda lib, x: lib.jit.trace_module(lib.nn.ReLU(), {"forward": x}),
    "trace_module of a function": lambda lib, x: lib.jit.trace_module(lambda x: x, {"forward": x}),
    "trace_module without a dict": lambda lib, x: lib.jit.trace_module(lib.nn.ReLU(), x),
    "trace_module of a missing method": lambda lib, x: lib.jit.trace_module(lib.nn.ReLU(), {"fwd": x}),
    "trace_module of nothing": lambda lib, x: lib.jit.trace_module(lib.nn.ReLU(), {}),
    "a ScriptModule": lambda lib, x: lib.jit.trace(lib.jit.script(lib.nn.ReLU()), x),
}


def _trace_outcome(lib, call):
    """What tracing does: its result's class or its error, and the warnings it gives other than deprecations
    (category, first line; the random numbers in a mismatch's details differ between the libraries)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = type(call(lib, lib.ones(3))).__name__
        except Exception as error:  # (each library's exception, compared by type and message)
            result = (type(error).__name__, str(error))
    seen = [(w.category.__name__, str(w.message).splitlines()[0]) for w in caught
            if w.category is not DeprecationWarning]
    return result, [(category, text) for category, text in seen if not text.startswith("Trace had nondeterministic")]


@pytest.mark.parametrize("call", TRACE_CALLS.values(), ids=TRACE_CALLS.keys())
def test_trace_checks_inputs_and_outputs_as_pytorchs_tracer(call):
    """(PyTorch also names a graph's nondeterministic nodes; torchless has no graph, so that warning is left out.)"""
    torch.manual_seed(0)
    torchless.manual_seed(0)
    assert _trace_outcome(torchless, call) == _trace_outcome(torch, call)


def _forward_runs(lib, **trace_options):
    """When forward runs during a trace (is_tracing() then), and which deprecations the trace warns of."""
    runs = []

    class Recorded(lib.nn.Module):
        def forward(self, x):
            runs.append((lib.jit.is_tracing(), x.shape[0]))
            return x * 2

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lib.jit.trace(Recorded(), lib.ones(2), **trace_options)
    runs.append([str(w.message).split("`")[1] for w in caught if w.category is DeprecationWarning])
    return runs


@pytest.mark.parametrize("options", [{}, {"check_trace": False}, "check inputs"],
                         ids=["checked", "unchecked", "check inputs"])
def test_trace_runs_forward_as_often_as_pytorchs_tracer(options):
    def run(lib):
        chosen = {"check_inputs": [lib.ones(1), (lib.ones(3),)]} if options == "check inputs" else options
        return _forward_runs(lib, **chosen)

    assert run(torchless) == run(torch)
    assert not torchless.jit.is_tracing()


def _offline_hub_loads(lib, hub_dir, monkeypatch):
    """hub.load of GitHub repositories with no network: one cached in the hub directory, one not, one untrusted."""
    import urllib.request
    from urllib.error import URLError

    def offline(*args, **kwargs):
        raise URLError("offline")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    monkeypatch.setattr(lib.hub, "urlopen", offline, raising=False)  # (PyTorch's hub imports the function itself)
    lib.hub.set_dir(str(hub_dir))
    outcomes = []
    for repo, options in [("someone/cached", {"trust_repo": True}), ("someone/cached:master", {"trust_repo": True}),
                          ("someone/missing", {"trust_repo": True}), ("pytorch/cached", {}),
                          ("someone/cached", {"trust_repo": True, "verbose": False})]:
        try:
            outcomes.append(lib.hub.load(repo, "entry", 2, **options))
        except Exception as error:  # (each library's exception, compared by type and message)
            outcomes.append((type(error).__name__, str(error).replace(str(hub_dir), "<hub>")))
    outcomes.append(lib.hub.list("someone/cached", trust_repo=True))
    outcomes.append(lib.hub.help("someone/cached", "entry", trust_repo=True))
    outcomes.append((hub_dir / "trusted_list").read_text())
    return outcomes


def test_torch_hub_load_of_github_repositories_offline(tmp_path, monkeypatch, capfd):
    """Without network the ref is the cached one (main, else master), the cache is used (and said so on stderr
    unless not verbose), and an uncached repository is refused with PyTorch's message."""
    outcomes = []
    try:
        for lib in (torch, torchless):
            hub_dir = tmp_path / lib.__name__
            for name in ("someone_cached_main", "someone_cached_master", "pytorch_cached_main"):
                (hub_dir / name).mkdir(parents=True)
                (hub_dir / name / "hubconf.py").write_text(
                    f"def entry(n):\n    '''Doubles n.'''\n    return ({name!r}, n * 2)\n"
                    "\n\ndef _hidden():\n    pass\n")
            outcomes.append(_offline_hub_loads(lib, hub_dir, monkeypatch))
            outcomes.append(capfd.readouterr().err.replace(str(hub_dir), "<hub>"))
    finally:  # (the hub directories back to their defaults)
        torch.hub._hub_dir = torchless.hub._hub_dir = None
    assert outcomes[2:] == outcomes[:2]
    assert outcomes[0][0] == ("someone_cached_main", 4)


VALUE_READS = {
    "bool": lambda lib, x: x * 2 if x.sum() > 0 else x,
    "item": lambda lib, x: x * x.sum().item(),
    "int": lambda lib, x: x * int(x.sum()),
    "float": lambda lib, x: x * float(x.sum()),
    "index": lambda lib, x: x * [1, 2, 3, 4][x.sum().long()],
    "tolist": lambda lib, x: x * x.tolist()[0],
    "numpy": lambda lib, x: x * float(x.detach().numpy()[0]),
    "len": lambda lib, x: x * len(x),
    "tensor": lambda lib, x: lib.tensor([1.0]) + x,
    "as_tensor": lambda lib, x: lib.as_tensor([1.0]) + x,
    "from_numpy": lambda lib, x: lib.from_numpy(np.ones(3, dtype=np.float32)) + x,
    "asarray": lambda lib, x: lib.asarray([1.0]) + x,
    "shape": lambda lib, x: x * x.shape[0],
    "a plain op": lambda lib, x: x.relu().sum(0, keepdim=True),
    "a module": lambda lib, x: lib.nn.functional.layer_norm(x, (3,)) + lib.nn.functional.dropout(x, 0.0),
}


@pytest.mark.parametrize("read", VALUE_READS.values(), ids=VALUE_READS.keys())
def test_reading_values_while_tracing_warns_as_pytorchs_tracer_at_the_readers_line(read):
    """Under the default warning filters, as scripts run: the library's own reads are not shown, PyTorch's nor
    torchless's, and the values read outside a trace warn of nothing."""
    def run(lib, library):
        with warnings.catch_warnings(record=True) as caught:
            warnings.resetwarnings()
            warnings.simplefilter("ignore", DeprecationWarning)
            # (the libraries' filter of their own tracer warnings, which pytest took away)
            warnings.filterwarnings("ignore", category=lib.jit.TracerWarning, module=library + r"\.(?!jit)")
            lib.jit.trace(lambda x: read(lib, x), lib.ones(3), check_trace=False)
            read(lib, lib.ones(3))
        return [(w.category.__name__, str(w.message), w.filename) for w in caught]

    assert run(torchless, "torchless") == run(torch, "torch")
