"""网格化履职: grids, placements of deputies, checks and rosters."""
