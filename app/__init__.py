"""综合目标考核系统 (unit-level KPI assessment). The application factory lives here."""
