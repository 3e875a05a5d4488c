"""The learning rates of Light-PEFT's two runs as PyTorch steps them, for test/lightpeft-schedules.test.ts.

The paper's scripts train with Hugging Face's Trainer: AdamW with a LambdaLR whose factor is
(total - step) / total without warm-up (estimate.sh and train.sh both use warm-up 0). Estimation is
one run of E steps; training the pruned model is a NEW run of S steps: a fresh optimizer and a
fresh scheduler starting again from the peak. This writes the learning rate each optimizer step
used, per phase, for a short budget.

    /usr/bin/python3 tools/reference/make_schedule_fixture.py   # writes test/fixtures/lightpeft-schedules.json
"""
import json
import os

import torch


def phase_lrs(peak, total):
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([param], lr=peak, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, (total - step) / total))
    lrs = []
    for _ in range(total):
        lrs.append(optimizer.param_groups[0]['lr'])  # the rate this step's update uses
        optimizer.step()
        scheduler.step()
    return lrs


cases = []
for peak, estimation, training in [(3e-4, 6, 10)]:  # the defaults' peak; short budgets (the rule is the same at any length)
    cases.append({'peak': peak, 'estimation': phase_lrs(peak, estimation), 'training': phase_lrs(peak, training)})

out = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'lightpeft-schedules.json')
with open(out, 'w') as f:
    json.dump({'torch': torch.__version__, 'cases': cases}, f, indent=1)
    f.write('\n')
print('wrote', os.path.normpath(out))
