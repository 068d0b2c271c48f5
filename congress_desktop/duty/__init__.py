"""履职档案 and 履职考评: duty records, trainings, the scoring scheme and evaluations."""
