// TrainingTests: one test target per module; the tests are in the files beside this one.
