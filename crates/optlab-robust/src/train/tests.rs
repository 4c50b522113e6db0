use super::*;
use crate::attack::Norm;
use crate::data::generated_shapes;
use crate::model::{Arch, Net};
use optlab_core::report::Silent;

#[test]
fn margins_match_a_hand_computed_case() {
    struct Fixed;
    impl Classifier for Fixed {
        fn logits(&self, x: &Tensor) -> Result<Tensor> {
            Ok(x.flatten_from(1)?)
        }
        fn store(&self) -> &optlab_core::params::ParamStore {
            unreachable!("not used")
        }
    }
    let dev = Device::Cpu;
    let x = Tensor::new(&[[1.0f32, 3.0, 2.0], [5.0, 0.0, 1.0]], &dev).unwrap();
    let y = Tensor::new(&[1u32, 2], &dev).unwrap();
    let m = margins(&Fixed, &x, &y).unwrap();
    assert_eq!(m, vec![1.0, -4.0]);
}

#[test]
fn clean_and_adversarial_mlp_training_learn_and_adv_training_buys_robustness() {
    let dev = Device::Cpu;
    let train_set = generated_shapes(400, 16, 0.15, 1).unwrap();
    let test_set = generated_shapes(200, 16, 0.15, 2).unwrap();
    let arch = Arch::Mlp {
        widths: vec![256, 64, 10],
    };
    let attack = AttackConfig::pgd(Norm::Linf, 0.1, 5);
    let mut reports = Vec::new();
    for adversary in [None, Some(AttackConfig::pgd(Norm::Linf, 0.1, 3))] {
        let net = Net::new(&arch, &dev, 7).unwrap();
        let cfg = TrainConfig {
            epochs: 8,
            adversary,
            ..TrainConfig::default()
        };
        let logs = train(&net, &train_set, &cfg, &dev, &Silent).unwrap();
        assert!(logs.last().unwrap().loss < logs[0].loss, "{logs:?}");
        let tr = evaluate(&net, &train_set, &attack, 200, 0, &dev).unwrap();
        let te = evaluate(&net, &test_set, &attack, 200, 0, &dev).unwrap();
        reports.push(GapReport::new(tr, te));
    }
    let (clean, adv) = (&reports[0], &reports[1]);
    for r in &reports {
        eprintln!(
            "train clean/robust {:.3}/{:.3} test {:.3}/{:.3} robust gap {:.3}",
            r.train.clean_acc,
            r.train.robust_acc,
            r.test.clean_acc,
            r.test.robust_acc,
            r.robust_gap
        );
    }
    assert!(
        clean.test.clean_acc > 0.6,
        "clean test acc {}",
        clean.test.clean_acc
    );
    assert!(clean.train.robust_acc <= clean.train.clean_acc);
    assert!(
        adv.test.robust_acc > clean.test.robust_acc + 0.1,
        "adv-trained robust acc {} vs clean-trained {}",
        adv.test.robust_acc,
        clean.test.robust_acc
    );
    assert!((adv.robust_gap - (adv.train.robust_acc - adv.test.robust_acc)).abs() < 1e-12);
}

#[test]
fn small_cnn_trains_and_bad_settings_are_errors() {
    let dev = Device::Cpu;
    let data = generated_shapes(120, 16, 0.1, 3).unwrap();
    let arch = Arch::Cnn {
        side: 16,
        width: 4,
        classes: 10,
    };
    let net = Net::new(&arch, &dev, 1).unwrap();
    let cfg = TrainConfig {
        epochs: 3,
        batch: 40,
        adversary: Some(AttackConfig::pgd(Norm::L2, 0.5, 2)),
        ..TrainConfig::default()
    };
    let logs = train(&net, &data, &cfg, &dev, &Silent).unwrap();
    assert!(logs.iter().all(|l| l.loss.is_finite()));
    assert!(logs[2].loss < logs[0].loss, "{logs:?}");
    let bad = TrainConfig {
        batch: 0,
        ..TrainConfig::default()
    };
    assert!(train(&net, &data, &bad, &dev, &Silent).is_err());
}
