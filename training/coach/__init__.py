"""The coach's workstation side: simulated students, the DQN, baselines, evaluation.

students.py    profiles of simulated students in three cohorts, drawn from a seed
simulator.py   the dynamics of practice (one step = one task), vectorised over students
env.py         the simulator as a gymnasium.Env (one episode of the env = one student's session)
dqn.py         the DQN, one file, CleanRL style
baselines.py   random, weakest skill, rule-based expert, tabular Q-learning
sb3_agents.py  PPO and the DQN cross-check from Stable-Baselines3
evaluate.py    greedy runs of a policy on held-out students
metrics.py     CI, convergence, RVI, ESI, reward-to-penalty ratio, significance
experiment.py  every method × every seed, in processes; writes results.json and plots
plots.py       learning curves with CI bands; RVI and ESI per method
report.py      results.json → the Markdown table (python -m training.coach.report DIR redraws)
cli.py         `perfscore train coach`
"""
