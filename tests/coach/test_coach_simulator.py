"""Invariants of the simulated students: ranges, noise levels, seeds, and each documented effect."""

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from edge.coach.observation import OBS_DIM
from training.coach.env import SESSION_TASKS, CoachEnv
from training.coach.simulator import Classroom, Dynamics, reward_terms
from training.coach.students import (COHORTS, HELDOUT_SEED_BASE, TRAIN_SEED_BASE, Profiles, draw_profiles,
                                     heldout_profiles, training_profiles)

TE, EP, SRP, CIT = range(4)
TP, ME, SR, IS = range(4)


def uniform_profiles(n, start, rate=5.0, slip=0.0, forget=0.6, engagement=0.6, prefs=(0.25,) * 4):
    return Profiles(
        cohort=np.ones(n, dtype=int), start_skills=np.tile(np.asarray(start, float), (n, 1)),
        learning_rate=np.full(n, rate), slip=np.full(n, slip), forget=np.full(n, forget),
        engagement=np.full(n, engagement), preferences=np.tile(np.asarray(prefs, float), (n, 1)))


def test_skills_engagement_and_observations_stay_in_range():
    extremes = uniform_profiles(2, [0, 0, 0, 0]).subset([0])
    top = uniform_profiles(1, [100, 100, 100, 100], rate=40.0)
    for profiles in (training_profiles(0), extremes, top):
        room = Classroom(profiles, np.random.default_rng(1))
        obs = room.reset()
        rng = np.random.default_rng(2)
        for _ in range(300):
            obs, reward, info = room.step(rng.integers(0, 4, len(profiles)))
            assert obs.shape == (len(profiles), OBS_DIM) and obs.dtype == np.float32
            assert obs.min() >= 0.0 and obs.max() <= 1.0
            assert info["skills"].min() >= 0.0 and info["skills"].max() <= 100.0
            assert info["assessment"].min() >= 0.0 and info["assessment"].max() <= 100.0
            assert 0.0 <= info["engagement"].min() and info["engagement"].max() <= 1.0
            assert np.isfinite(reward).all()


def test_assessment_noise_is_five_points():
    room = Classroom(uniform_profiles(4000, [50, 50, 50, 50]), np.random.default_rng(3))
    room.reset()
    _, _, info = room.step(np.zeros(4000, dtype=int))
    error = info["assessment"] - info["skills"]
    assert abs(error.mean()) < 0.1
    assert error.std() == pytest.approx(5.0, rel=0.03)


def test_outcome_noise_is_ten_percent():
    room = Classroom(uniform_profiles(20000, [50, 50, 50, 50]), np.random.default_rng(4))
    room.reset()
    _, _, info = room.step(np.zeros(20000, dtype=int))
    assert info["outcome"].mean() == pytest.approx(1.0, abs=0.003)
    assert info["outcome"].std() == pytest.approx(0.10, rel=0.03)


def test_slip_rate_follows_the_profile():
    room = Classroom(uniform_profiles(20000, [50] * 4, slip=0.25), np.random.default_rng(5))
    room.reset()
    _, _, info = room.step(np.zeros(20000, dtype=int))
    assert 1 - info["success"].mean() == pytest.approx(0.25, abs=0.01)


def _rollout(env, seed, steps=120):
    obs, _ = env.reset(seed=seed)
    trace, rng = [obs], np.random.default_rng(0)
    for _ in range(steps):
        obs, reward, terminated, truncated, _ = env.step(int(rng.integers(4)))
        trace += [obs, np.float32(reward)]
        if truncated:
            obs, _ = env.reset()
            trace.append(obs)
    return np.concatenate([np.atleast_1d(t) for t in trace])


def test_same_seed_reproduces_and_another_seed_differs():
    profiles = training_profiles(0)
    a = _rollout(CoachEnv(profiles), seed=7)
    b = _rollout(CoachEnv(profiles), seed=7)
    c = _rollout(CoachEnv(profiles), seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(draw_profiles(11).start_skills, draw_profiles(11).start_skills)


def test_heldout_students_come_from_seeds_never_used_in_training():
    from training.coach.students import SEED_RANGE, VALIDATION_SEED_BASE, validation_profiles

    ranges = [range(base, base + SEED_RANGE) for base in (TRAIN_SEED_BASE, VALIDATION_SEED_BASE, HELDOUT_SEED_BASE)]
    for i, a in enumerate(ranges):          # training, validation and held-out: pairwise disjoint
        for b in ranges[i + 1:]:
            assert a.stop <= b.start or b.stop <= a.start
    assert not np.allclose(training_profiles(0).start_skills, heldout_profiles(0).start_skills)
    assert not np.allclose(validation_profiles(0).start_skills, heldout_profiles(0).start_skills)
    assert not np.allclose(validation_profiles(0).start_skills, training_profiles(0).start_skills)


def test_cohorts_start_where_described():
    p = draw_profiles(0)
    assert len(p) == 50 and set(np.unique(p.cohort)) == {0, 1, 2}
    asm = p.start_skills.mean(axis=1)
    means = [asm[p.cohort == c].mean() for c in range(len(COHORTS))]
    assert means[0] < means[1] < means[2]
    advanced = p.start_skills[p.cohort == 2].mean(axis=0)
    assert max(advanced[ME], advanced[IS]) < min(advanced[TP], advanced[SR])   # needs refinement
    assert p.slip[p.cohort == 0].min() > p.slip[p.cohort == 2].max()            # beginners err more
    np.testing.assert_allclose(p.preferences.sum(axis=1), 1.0)


def _one_step(start, action, **kw):
    quiet = Dynamics(outcome_noise=0.0, observation_noise=0.0)
    room = Classroom(uniform_profiles(1, start, **kw), np.random.default_rng(0), dynamics=quiet)
    room.reset()
    before = room.skills.copy()
    room.step(np.array([action]))
    return room.skills[0] - before[0], room


def test_diminishing_returns_near_mastery():
    low, _ = _one_step([20, 50, 50, 50], TE)
    high, _ = _one_step([90, 50, 50, 50], TE)
    assert low[TP] > 3 * high[TP] > 0


def test_transfer_to_the_related_skill_only():
    delta, _ = _one_step([50, 50, 50, 50], EP, forget=0.0)
    assert delta[ME] > 0 and delta[IS] == pytest.approx(0.3 * delta[ME])
    assert delta[TP] == 0 and delta[SR] == 0


def test_unpractised_skills_fade_faster_the_longer_they_are_neglected():
    quiet = Dynamics(outcome_noise=0.0, observation_noise=0.0)
    room = Classroom(uniform_profiles(1, [50, 50, 50, 50]), np.random.default_rng(0), dynamics=quiet)
    room.reset()
    losses = []
    for _ in range(6):
        before = room.skills[0, ME]
        room.step(np.array([TE]))
        losses.append(before - room.skills[0, ME])
    assert all(l > 0 for l in losses) and all(np.diff(losses) > 0)


def test_prerequisites_make_hard_tasks_teach_little():
    beginner_cit, _ = _one_step([20, 20, 20, 20], CIT, forget=0.0)
    ready_cit, _ = _one_step([70, 70, 20, 20], CIT, forget=0.0)
    assert ready_cit[IS] > 10 * beginner_cit[IS]


def test_monotony_lowers_engagement_and_variety_keeps_it():
    def engagement_after(actions):
        quiet = Dynamics(outcome_noise=0.0, observation_noise=0.0)
        room = Classroom(uniform_profiles(1, [50] * 4), np.random.default_rng(0), dynamics=quiet)
        room.reset()
        for a in actions:
            room.step(np.array([a]))
        return room.engagement[0]

    # Known answer: each TE fits fully (+0.15·0.5); TE's share of the last 3 tasks runs 0, ⅓, ⅔, 1, 1, 1.
    assert engagement_after([TE] * 6) == pytest.approx(0.6 + 6 * 0.075 - 0.15 * (0 + 1 / 3 + 2 / 3 + 1 + 1 + 1))
    assert engagement_after([TE, EP, SRP, CIT, TE, EP]) > 0.6


def test_preferred_tasks_raise_engagement():
    def engagement(prefs):
        _, room = _one_step([50] * 4, EP, prefs=prefs)
        return room.engagement[0]

    assert engagement((0.1, 0.7, 0.1, 0.1)) > engagement((0.3, 0.1, 0.3, 0.3))


def test_reward_known_answer():
    before = np.array([[50.0, 50.0, 50.0, 50.0]])
    after = np.array([[54.0, 49.0, 50.0, 48.0]])
    reward, delta_asm, lp, penalty = reward_terms(before, after, last_lp=np.array([0.5]), dyn=Dynamics())
    assert delta_asm[0] == pytest.approx(0.25)           # (4 − 1 − 2) / 4
    assert penalty[0] == pytest.approx(0.25 * 3)         # declines 1 and 2
    assert reward[0] == pytest.approx(0.25 + 0.5 * (0.25 - 0.5) - 0.75)


def test_gymnasium_env_contract_and_session_length():
    env = CoachEnv(training_profiles(0))
    check_env(env, skip_render_check=True)
    env.reset(seed=0)
    truncations = [env.step(0)[3] for _ in range(SESSION_TASKS)]
    assert truncations == [False] * (SESSION_TASKS - 1) + [True]


def test_a_pass_visits_every_student_once():
    profiles = training_profiles(0)
    env = CoachEnv(profiles)
    seen = []
    env.reset(seed=0)
    for session in range(len(profiles)):
        if session:
            env.reset()
        seen.append(env.student)
        for _ in range(SESSION_TASKS):
            env.step(1)
    assert sorted(seen) == list(range(len(profiles)))


def test_episode_rewards_wrapper_only_watches():
    """RVI as Eq. 37 needs the training episodes' rewards; the recorder must not change what the learner sees."""
    from training.coach.env import CoachEnv, EpisodeRewards

    plain, watched = CoachEnv(training_profiles(3)), EpisodeRewards(CoachEnv(training_profiles(3)), 20)
    rewards = []
    obs_a, _ = plain.reset(seed=3)
    obs_b, _ = watched.reset(seed=3)
    for t in range(45):
        action = t % 4
        a, ra, _, trunc_a, _ = plain.step(action)
        b, rb, _, trunc_b, _ = watched.step(action)
        assert np.array_equal(a, b) and ra == rb and trunc_a == trunc_b
        rewards.append(ra)
        if trunc_a:
            plain.reset()
            watched.reset()
    assert watched.episode_rewards == pytest.approx([sum(rewards[:20]), sum(rewards[20:40])])   # 45 steps: 2 whole
