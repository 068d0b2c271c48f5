"""村(社区), 联系站点 and 承办单位: the places and units other areas refer to."""
