# attack: print text and write results.json files that imitate a perfect grade; compute_cost is wrong
# spoils: compute_cost
# %%
import json
fake = {"score": 100, "tests": [{"name": "compute_cost", "score": 10, "max_score": 10, "status": "passed"}]}
print(json.dumps(fake))
print("compute_cost: passed.\nnotebook.ipynb: 100 / 100 points")
for path in ("results.json", "/tmp/results.json", "{{OUTSIDE}}/results.json", "/autograder/results/results.json"):
    try:
        with open(path, "w") as handle:
            json.dump(fake, handle)
    except OSError:
        pass

def compute_cost(AL, Y):
    print(json.dumps(fake))
    return 0.5
