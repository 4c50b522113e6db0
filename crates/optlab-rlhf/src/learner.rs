//! One iteration of every algorithm on the shared rollout core: generate, score, compute
//! advantages, update; every phase timed and every live tensor accounted.

use crate::error::{Context, Result};
use candle_core::{Device, Tensor};
use optlab_core::generate::SamplingConfig;
use optlab_core::models::Llama;
use optlab_core::params::ParamStore;
use optlab_core::rng::Rng;
use optlab_core::tokenizer::Tokenizer;
use optlab_core::train::{global_norm, named_grads, NamedGrads, TrainOptimizer};
use serde::Serialize;

use crate::config::{Algo, RlConfig, ValueMode};
use crate::cost::{activation_bytes, MemoryAccount, Phase, PhaseTimes};
use crate::losses::{
    k3_per_token, masked_mean, ppo_policy_loss, reinforce_loss, token_logprobs, value_loss,
};
use crate::math;
use crate::policy::{frozen_copy, logits_and_hidden};
use crate::reward::{RewardModel, ScalarHead, TokenizerId};
use crate::rollout::{respond, Batch};
use crate::task::{arith_reward, ArithPrompt, STOP_BYTE};
use optlab_core::process::cpu_seconds;
use optlab_optim::AdamW;

/// Where rewards come from.
pub enum Rewarder {
    /// The verifiable rule: 1 for the exact sum, else 0.
    Rule,
    /// A learned reward model scoring prompt + response.
    Model(Box<RewardModel>),
}

impl Rewarder {
    /// Rewards of `responses[i]` to `prompts[i]` (with their token ids).
    pub fn score(
        &self,
        prompts: &[&ArithPrompt],
        prompt_ids: &[&[u32]],
        responses: &[&[u32]],
        tok: &dyn Tokenizer,
        dev: &Device,
    ) -> Result<Vec<f64>> {
        match self {
            Rewarder::Rule => prompts
                .iter()
                .zip(responses)
                .map(|(p, r)| Ok(arith_reward(p.answer, &tok.decode(r)?)))
                .collect(),
            Rewarder::Model(rm) => {
                let rows: Vec<Vec<u32>> = prompt_ids
                    .iter()
                    .zip(responses)
                    .map(|(p, r)| [*p, *r].concat())
                    .collect();
                rm.score_rows(&rows, dev)
            }
        }
    }
}

enum Critic {
    None,
    Head(ParamStore, ScalarHead, Box<AdamW>),
    Model(Box<RewardModel>, Box<AdamW>),
}

/// What one iteration did and cost.
#[derive(Debug, Clone, Serialize)]
pub struct IterRecord {
    /// Iteration number (from 1).
    pub iter: usize,
    /// Mean reward of the sampled responses trained on.
    pub reward: f64,
    /// Mean k1 KL to the reference over action tokens.
    pub kl: f64,
    /// Last policy loss.
    pub loss: f64,
    /// Action tokens trained on.
    pub actions: usize,
    /// Wall time by phase.
    pub times: PhaseTimes,
    /// CPU seconds of the whole iteration (all threads), when the platform reports them.
    pub cpu: Option<f64>,
    /// Live tensor bytes by component.
    pub memory: MemoryAccount,
}

/// Policy, frozen reference, optional critic and optimizers of one run.
pub struct Learner<'a> {
    policy: &'a Llama,
    reference: Llama,
    critic: Critic,
    opt: AdamW,
    cfg: RlConfig,
    dev: Device,
}

/// The optimizer of the policy and the critic: AdamW without weight decay.
fn adamw(store: &ParamStore) -> Result<AdamW> {
    crate::optimizer::adamw(store, 0.0)
}

fn bytes_of(store: &ParamStore) -> u64 {
    4 * store.num_elements() as u64
}

impl<'a> Learner<'a> {
    /// Set up `policy` (trained in place) for `cfg`, copying it as the frozen reference.
    pub fn new(policy: &'a Llama, tok: TokenizerId, cfg: &RlConfig, dev: &Device) -> Result<Self> {
        cfg.validate()?;
        let hidden = policy.config().hidden_size;
        let critic = match (cfg.algo, cfg.value_mode) {
            (Algo::Ppo, ValueMode::Model) => {
                let vm = RewardModel::new(policy.config(), tok, Some(policy), dev, 0)?;
                let o = adamw(vm.model.params())?;
                Critic::Model(Box::new(vm), Box::new(o))
            }
            (Algo::Ppo, ValueMode::Head) => {
                let store = ParamStore::new();
                let head = ScalarHead::new(&store, "v_head", hidden, dev)?;
                let o = adamw(&store)?;
                Critic::Head(store, head, Box::new(o))
            }
            _ => Critic::None,
        };
        Ok(Self {
            policy,
            reference: frozen_copy(policy, dev)?,
            critic,
            opt: adamw(policy.params())?,
            cfg: cfg.clone(),
            dev: dev.clone(),
        })
    }

    /// The sampling settings of rollouts (`greedy`: temperature 0).
    pub fn sampling(&self, greedy: bool) -> SamplingConfig {
        SamplingConfig {
            temperature: if greedy { 0.0 } else { self.cfg.temperature },
            top_k: 0,
            top_p: self.cfg.top_p,
            max_new_tokens: self.cfg.max_new_tokens,
            stop_ids: vec![STOP_BYTE as u32],
        }
    }

    fn memory(&self, rewarder: &Rewarder, rows: usize, t: usize) -> MemoryAccount {
        let p = bytes_of(self.policy.params());
        let act = activation_bytes(self.policy.config(), rows, t);
        let rm = match rewarder {
            Rewarder::Model(rm) => bytes_of(rm.model.params()),
            Rewarder::Rule => 0,
        };
        let (c, c_act) = match &self.critic {
            Critic::None => (0, 0),
            Critic::Head(s, _, _) => (bytes_of(s), 0),
            Critic::Model(vm, _) => (bytes_of(vm.model.params()), act),
        };
        MemoryAccount {
            weights: 2 * p + rm + c,
            gradients: p + c,
            optimizer_state: 2 * (p + c),
            activations: act + c_act,
        }
    }

    fn step(&mut self, loss: &Tensor, times: &mut PhaseTimes) -> Result<()> {
        let grads = times.time(Phase::Backward, || loss.backward())?;
        let lr = self.cfg.lr;
        let mut g = named_grads(self.policy.params(), &grads);
        clip(&mut g, self.cfg.grad_clip)?;
        times.time(Phase::Optimizer, || self.opt.step(&g, lr))?;
        if let Critic::Head(store, _, o) = &mut self.critic {
            let mut g = named_grads(store, &grads);
            clip(&mut g, self.cfg.grad_clip)?;
            times.time(Phase::Optimizer, || o.step(&g, self.cfg.value_lr))?;
        }
        Ok(())
    }

    /// One iteration on `prompts`: rollouts, rewards, advantages and the update.
    pub fn iterate(
        &mut self,
        iter: usize,
        prompts: &[ArithPrompt],
        rewarder: &Rewarder,
        tok: &dyn Tokenizer,
        rng: &mut Rng,
    ) -> Result<IterRecord> {
        let c = self.cfg.clone();
        let mut times = PhaseTimes::default();
        let cpu0 = cpu_seconds();
        let k = if matches!(c.algo, Algo::Rloo | Algo::Grpo) {
            c.group
        } else {
            1
        };
        let (sample, greedy) = (self.sampling(false), self.sampling(true));
        let (mut ps, mut ids, mut resp, mut greedy_resp) = (vec![], vec![], vec![], vec![]);
        for p in prompts {
            let pid = tok.encode(&p.text)?;
            let rs = times.time(Phase::Generation, || {
                respond(self.policy, &pid, k, &sample, rng, &self.dev)
            })?;
            if c.algo == Algo::Remax {
                let g = times.time(Phase::Generation, || {
                    respond(self.policy, &pid, 1, &greedy, rng, &self.dev)
                })?;
                greedy_resp.extend(g);
            }
            for r in rs {
                ps.push(p);
                ids.push(pid.clone());
                resp.push(r);
            }
        }
        let id_refs: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
        let r_refs: Vec<&[u32]> = resp.iter().map(Vec::as_slice).collect();
        let rewards = times.time(Phase::Forward, || {
            rewarder.score(&ps, &id_refs, &r_refs, tok, &self.dev)
        })?;
        let batch = Batch::new(&id_refs, &r_refs, &self.dev)?;
        let (logits, hidden) = times.time(Phase::Forward, || {
            logits_and_hidden(self.policy, &batch.inputs)
        })?;
        let logp = token_logprobs(&logits, &batch.targets)?;
        let ref_logp = times.time(Phase::Forward, || -> Result<Tensor> {
            Ok(token_logprobs(&self.reference.forward(&batch.inputs)?, &batch.targets)?.detach())
        })?;
        let log_ratio = batch.per_row(&(logp.detach() - &ref_logp)?)?;
        let kl = log_ratio.iter().flatten().sum::<f64>() / batch.actions().max(1) as f64;
        let memory = self.memory(rewarder, resp.len(), batch.t);
        let loss = match c.algo {
            Algo::Remax => {
                let pg: Vec<&ArithPrompt> = prompts.iter().collect();
                let pid: Vec<Vec<u32>> = prompts
                    .iter()
                    .map(|p| tok.encode(&p.text))
                    .collect::<optlab_core::Result<_>>()?;
                let pid_refs: Vec<&[u32]> = pid.iter().map(Vec::as_slice).collect();
                let g_refs: Vec<&[u32]> = greedy_resp.iter().map(Vec::as_slice).collect();
                let rg = times.time(Phase::Forward, || {
                    rewarder.score(&pg, &pid_refs, &g_refs, tok, &self.dev)
                })?;
                let w: Vec<Vec<f64>> = (0..resp.len())
                    .map(|i| {
                        let a = math::remax_advantage(rewards[i], rg[i], c.reward_clip);
                        math::remax_token_returns(a, &log_ratio[i], c.kl_coef, c.gamma)
                    })
                    .collect();
                let loss = reinforce_loss(&logp, &batch.from_rows(&w)?, &batch.mask)?;
                self.step(&loss, &mut times)?;
                loss
            }
            Algo::Rloo | Algo::Grpo => {
                let mut adv = Vec::with_capacity(resp.len());
                for g in 0..prompts.len() {
                    let span = g * k..(g + 1) * k;
                    let a = if c.algo == Algo::Rloo {
                        // KL folded into the sequence reward, as TRL's RLOO does.
                        let r: Vec<f64> = span
                            .map(|i| rewards[i] - c.kl_coef * log_ratio[i].iter().sum::<f64>())
                            .collect();
                        math::rloo_advantages(&r)
                    } else {
                        math::grpo_advantages(&rewards[span], 1e-4)
                    };
                    adv.extend(a.context("group of fewer than two samples")?);
                }
                let a_rows: Vec<Vec<f64>> = batch
                    .spans
                    .iter()
                    .zip(&adv)
                    .map(|(s, a)| vec![*a; s.1])
                    .collect();
                let a = batch.from_rows(&a_rows)?;
                let mut loss = ppo_policy_loss(&logp, &logp, &a, &batch.mask, c.clip_eps)?;
                if c.algo == Algo::Grpo && c.grpo_beta > 0.0 {
                    let kl3 = masked_mean(&k3_per_token(&logp, &ref_logp)?, &batch.mask)?;
                    loss = (loss + (kl3 * c.grpo_beta)?)?;
                }
                self.step(&loss, &mut times)?;
                loss
            }
            Algo::Ppo => {
                self.ppo_update(&batch, &hidden, &logp, &log_ratio, &rewards, &mut times)?
            }
        };
        Ok(IterRecord {
            iter,
            reward: rewards.iter().sum::<f64>() / rewards.len().max(1) as f64,
            kl,
            loss: loss.to_dtype(candle_core::DType::F64)?.to_scalar::<f64>()?,
            actions: batch.actions(),
            times,
            cpu: cpu_seconds().zip(cpu0).map(|(b, a)| b - a),
            memory,
        })
    }

    fn values(&self, batch: &Batch, hidden: &Tensor, times: &mut PhaseTimes) -> Result<Tensor> {
        match &self.critic {
            Critic::Head(_, head, _) => Ok(head.forward(hidden)?),
            Critic::Model(vm, _) => times.time(Phase::Forward, || -> Result<Tensor> {
                vm.head.forward(&vm.model.final_hidden(&batch.inputs)?)
            }),
            Critic::None => crate::error::bail!("PPO needs a critic"),
        }
    }

    fn ppo_update(
        &mut self,
        batch: &Batch,
        hidden: &Tensor,
        logp0: &Tensor,
        log_ratio: &[Vec<f64>],
        rewards: &[f64],
        times: &mut PhaseTimes,
    ) -> Result<Tensor> {
        let c = self.cfg.clone();
        let old_logp = logp0.detach();
        let v_old = self.values(batch, hidden, times)?.detach();
        let v_rows = batch.per_row(&v_old)?;
        let (mut advs, mut rets) = (Vec::new(), Vec::new());
        for (i, lr) in log_ratio.iter().enumerate() {
            let mut r: Vec<f64> = lr.iter().map(|x| -c.kl_coef * x).collect();
            if let Some(last) = r.last_mut() {
                *last += rewards[i].clamp(-c.reward_clip, c.reward_clip);
            }
            let (a, ret) = math::gae(&r, &v_rows[i], 1.0, c.gae_lambda);
            advs.push(a);
            rets.push(ret);
        }
        let flat = math::whiten(&advs.iter().flatten().copied().collect::<Vec<_>>());
        let mut it = flat.into_iter();
        let advs: Vec<Vec<f64>> = advs
            .iter()
            .map(|a| it.by_ref().take(a.len()).collect())
            .collect();
        let (a, ret) = (batch.from_rows(&advs)?, batch.from_rows(&rets)?);
        let mut last = None;
        for e in 0..c.ppo_epochs {
            // The rollout pass already holds epoch 0's graph.
            let (logp, hid) = if e == 0 {
                (logp0.clone(), hidden.clone())
            } else {
                let (l, h) = times.time(Phase::Forward, || {
                    logits_and_hidden(self.policy, &batch.inputs)
                })?;
                (token_logprobs(&l, &batch.targets)?, h)
            };
            let mut loss = ppo_policy_loss(&logp, &old_logp, &a, &batch.mask, c.clip_eps)?;
            if let Critic::Head(_, head, _) = &self.critic {
                let v = head.forward(&hid)?;
                let vl = value_loss(&v, &v_old, &ret, &batch.mask, c.value_clip)?;
                loss = (loss + (vl * c.vf_coef)?)?;
            }
            self.step(&loss, times)?;
            if let Critic::Model(vm, o) = &mut self.critic {
                let v = times.time(Phase::Forward, || -> Result<Tensor> {
                    vm.head.forward(&vm.model.final_hidden(&batch.inputs)?)
                })?;
                let vl = value_loss(&v, &v_old, &ret, &batch.mask, c.value_clip)?;
                let grads = times.time(Phase::Backward, || vl.backward())?;
                let mut g = named_grads(vm.model.params(), &grads);
                clip(&mut g, c.grad_clip)?;
                times.time(Phase::Optimizer, || o.step(&g, c.value_lr))?;
            }
            last = Some(loss);
        }
        last.context("no PPO epoch ran")
    }
}

fn clip(g: &mut NamedGrads, max_norm: f64) -> Result<()> {
    if max_norm <= 0.0 {
        return Ok(());
    }
    let n = global_norm(g)?;
    if !n.is_finite() {
        crate::error::bail!("non-finite gradient norm during the policy update");
    }
    if n > max_norm {
        let s = max_norm / n;
        for v in g.values_mut() {
            *v = (&*v * s)?;
        }
    }
    Ok(())
}
