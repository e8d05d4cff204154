"""Heuristics behave as defined; tabular Q-learning's discretisation and update; metric known answers."""

import numpy as np
import pytest
from scipy import stats

from edge.coach.observation import build_observation
from training.coach import metrics
from training.coach.baselines import (N_STATES, QLearningArgs, RandomPolicy, TabularQ, discretise, rule_expert,
                                      train_q_learning, weakest_skill)
from training.coach.env import CoachEnv
from training.coach.students import training_profiles

TE, EP, SRP, CIT = range(4)


def obs(tp, me, sr, is_, lp=0.0, prefs=(0.25,) * 4, recent=(-1, -1, -1)):
    return build_observation(np.array([[tp, me, sr, is_]], float), np.array([lp]), np.array([prefs]),
                             np.array([recent]))


def test_weakest_skill_practises_the_lowest_assessed_skill():
    batch = np.concatenate([obs(30, 50, 60, 70), obs(80, 20, 60, 70), obs(80, 50, 10, 70), obs(80, 50, 60, 5)])
    assert weakest_skill(batch).tolist() == [TE, EP, SRP, CIT]


def test_rule_expert_drills_technique_below_threshold_then_refines_the_weaker_of_me_and_is():
    assert rule_expert(obs(49, 10, 10, 10))[0] == TE                 # below 50: technical drills, whatever else
    assert rule_expert(obs(50, 40, 10, 60))[0] == EP                 # above: ME weaker than IS → expressive
    assert rule_expert(obs(90, 60, 10, 30))[0] == CIT                # above: IS weaker → interpretation
    assert SRP not in rule_expert(np.concatenate([obs(t, 50, 0, 50) for t in range(0, 101, 5)]))


def test_random_policy_is_uniform_and_seeded():
    batch = np.repeat(obs(50, 50, 50, 50), 40000, axis=0)
    actions = RandomPolicy(1)(batch)
    assert np.bincount(actions, minlength=4) / len(actions) == pytest.approx([0.25] * 4, abs=0.01)
    np.testing.assert_array_equal(RandomPolicy(1)(batch[:100]), RandomPolicy(1)(batch[:100]))


def test_discretisation_covers_the_state_table_and_separates_what_it_should():
    rng = np.random.default_rng(0)
    many = build_observation(rng.uniform(0, 100, (5000, 4)), rng.uniform(-5, 5, 5000),
                             rng.dirichlet(np.ones(4), 5000), rng.integers(-1, 4, (5000, 3)))
    states = discretise(many)
    assert states.min() >= 0 and states.max() < N_STATES
    assert len(np.unique(states)) > 0.8 * N_STATES
    assert discretise(obs(20, 50, 50, 50))[0] != discretise(obs(50, 50, 50, 20))[0]        # weakest differs
    assert discretise(obs(20, 30, 30, 30))[0] != discretise(obs(70, 80, 80, 80))[0]        # ASM band differs
    assert discretise(obs(50, 60, 60, 60, recent=(0, 0, 1)))[0] != discretise(obs(50, 60, 60, 60))[0]


def test_q_learning_update_known_answer():
    agent = TabularQ()
    o, o2 = obs(20, 50, 50, 50), obs(70, 80, 80, 80)
    s2 = discretise(o2)[0]
    agent.q[s2] = [1.0, 3.0, 2.0, 0.0]
    agent.update(o, EP, reward=2.0, next_obs=o2, terminated=False, lr=0.5, gamma=0.9)
    assert agent.q[discretise(o)[0], EP] == pytest.approx(0.5 * (2.0 + 0.9 * 3.0))
    agent.update(o2, TE, reward=1.0, next_obs=o, terminated=True, lr=1.0, gamma=0.9)
    assert agent.q[s2, TE] == pytest.approx(1.0)


def test_q_learning_trains_and_is_reproducible():
    def train(seed):
        return train_q_learning(CoachEnv(training_profiles(0)), QLearningArgs(total_timesteps=1500,
                                                                             exploration_steps=1000), seed).q
    a, b = train(3), train(3)
    np.testing.assert_array_equal(a, b)
    assert np.count_nonzero(a) > 50


def test_mean_ci95_known_answer():
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    out = metrics.mean_ci95(values)
    assert out["mean"] == 3.0
    assert out["ci95"] == pytest.approx(2.776445 * np.std(values, ddof=1) / np.sqrt(5), rel=1e-5)
    assert metrics.mean_ci95([7.0])["ci95"] is None


def test_convergence_rvi_esi_ratio_known_answers():
    curve = [0, 0, 0, 0, 0] + [100] * 45          # a step at episode 6; smoothed over 5 it reaches 90 at episode 10
    assert metrics.convergence_episode(curve) == 10
    assert metrics.convergence_episode([50.0] * 20) == 1
    assert metrics.rvi([90, 110]) == pytest.approx(np.std([90, 110], ddof=1) / 100)
    engagement = np.array([[0.5, 0.5, 0.5, 0.5], [1.0, 0.0, 1.0, 0.0]])
    assert metrics.esi(engagement) == pytest.approx(((0.5 - 0.0) + (0.5 - 0.5)) / 2)
    assert metrics.reward_penalty_ratio(np.array([[3.0, 1.0]]), np.array([[0.5, 1.5]])) == pytest.approx(2.0)


def test_paired_comparison_and_holm_known_answers():
    a = np.array([10.0, 12.0, 11.0, 13.0, 12.5, 11.5, 10.5, 12.2, 11.8, 12.9])
    b = a - np.array([1.0, 2.0, 1.5, 0.5, 1.2, 0.8, 1.1, 1.9, 0.7, 1.4])
    out = metrics.paired_comparison(a, b)
    assert out["p_t"] == pytest.approx(stats.ttest_rel(a, b).pvalue)
    assert out["p_wilcoxon"] == pytest.approx(2 / 2 ** 10)          # all ten differences positive: exact test
    assert out["mean_difference"]["mean"] == pytest.approx(1.21)
    assert metrics.holm({"x": 0.01, "y": 0.04, "z": 0.03}) == pytest.approx({"x": 0.03, "y": 0.06, "z": 0.06})
    assert metrics.intervals_overlap({"mean": 10, "ci95": 1}, {"mean": 12.5, "ci95": 1}) is False
    assert metrics.intervals_overlap({"mean": 10, "ci95": 1}, {"mean": 11.5, "ci95": 1}) is True
